import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from security import personal_data
from tests.factories import valid_id_card


def test_encryption_round_trip_hides_the_value():
    token = personal_data.encrypt("511302195001010019")
    assert "511302" not in token
    assert personal_data.decrypt(token) == "511302195001010019"
    assert personal_data.encrypt("511302195001010019") != token  # a fresh IV each time


def test_another_key_cannot_decrypt():
    token = personal_data.encrypt("13812345678")
    with override_settings(PERSONAL_DATA_KEY="another-key-that-is-long-enough-0123456789"):
        with pytest.raises(personal_data.PersonalDataError):
            personal_data.decrypt(token)


def test_lookup_hash_is_keyed_and_separates_kinds():
    value = "13812345678"
    first = personal_data.lookup_hash("phone", value)
    assert first == personal_data.lookup_hash("phone", value)
    assert first != personal_data.lookup_hash("id_card", value)
    with override_settings(PERSONAL_DATA_KEY="another-key-that-is-long-enough-0123456789"):
        assert personal_data.lookup_hash("phone", value) != first


def test_masking():
    assert personal_data.mask_id_card("511302195001011234") == "5113**********1234"
    assert personal_data.mask_phone("13812345678") == "138****5678"


def test_id_card_normalisation_accepts_valid_numbers():
    number = valid_id_card(7)
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert personal_data.normalise_id_card(spaced) == number


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("51130219500101001", "17 digits"),
        ("5113021950010100AB", "17 digits"),
        ("511302195002300010", "birth date"),
    ],
)
def test_id_card_normalisation_rejects_bad_numbers(raw, message):
    with pytest.raises(ValidationError, match=message):
        personal_data.normalise_id_card(raw)


def test_id_card_check_digit_is_verified():
    number = valid_id_card(7)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError, match="check digit"):
        personal_data.normalise_id_card(wrong)


@pytest.mark.parametrize(("raw", "expected"), [("138 1234 5678", "13812345678"), ("+86-138-1234-5678", "13812345678")])
def test_phone_normalisation(raw, expected):
    assert personal_data.normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "phone"])
def test_phone_normalisation_rejects_bad_numbers(raw):
    with pytest.raises(ValidationError, match="11 digits"):
        personal_data.normalise_phone(raw)
