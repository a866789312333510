import pytest

from core.spreadsheet import spreadsheet_safe


@pytest.mark.parametrize("text", ["=1+2", "+86 138", "-2+3", "@SUM(A1)", "\t=1+2", "\r=1+2"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "1=1", "", None, -5, 2.5, True])
def test_anything_else_is_left_as_it_is(value):
    assert spreadsheet_safe(value) == value
