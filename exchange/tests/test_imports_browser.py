"""An officer imports a household-registration file on a 360 px phone: Chinese, no sideways
scrolling, the progress page and its table of rejected rows."""

import pytest

from exchange.imports.services import dataset_import_run
from exchange.models import DatasetImport
from exchange.tests import test_imports as shared
from exchange.tests.test_imports import csv_bytes, person
from tests.browser import conftest as browser_fixtures
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

provider = shared.provider
phone = browser_fixtures.phone  # `browser` is exchange/tests/conftest.py's (one per module)


def test_an_officer_imports_a_file_on_a_phone(phone, provider, tmp_path):
    update = tmp_path / "户籍更新.csv"
    update.write_bytes(csv_bytes([person(1), person(2, name=""), person(3, household="H3", grid="NOPE")]))
    sign_in(phone, provider.officer.username)

    phone.goto("/exchange/imports/")
    assert phone.locator("html").get_attribute("lang") == "zh-hans"
    assert fits_the_screen(phone)
    phone.set_input_files("input[type=file]", str(update))
    phone.click("main form button[type=submit]")
    phone.wait_for_load_state()
    dataset_import = DatasetImport.objects.get()
    assert phone.url.endswith(f"/exchange/imports/{dataset_import.public_id}/")
    # The page follows the import: a script reloads it, with a button to pause it (no meta refresh).
    assert phone.locator("meta[http-equiv=refresh]").count() == 0
    assert phone.locator("[data-auto-refresh]").get_attribute("data-auto-refresh") == "3"
    assert phone.get_by_role("button", name="暂停自动刷新").is_visible()  # "pause the automatic refresh"
    phone.get_by_role("button", name="暂停自动刷新").click()  # so it stays put while the import runs
    assert phone.get_by_role("button", name="继续自动刷新").is_visible()  # "resume"

    dataset_import_run(import_id=dataset_import.pk)
    phone.reload()
    assert phone.locator("[data-auto-refresh]").count() == 0  # the import has ended
    assert phone.locator("progress").get_attribute("value") == "100"
    lines = phone.locator("table.rejections tbody tr td.num").all_inner_texts()
    assert lines == ["3", "4"]
    assert fits_the_screen(phone)
    assert phone.locator("a.button.secondary").bounding_box()["height"] >= 44
