"""Secrets never reach an error line: the masking every CLI and run failure line goes through."""

import pytest

from arcadia_pipelines.failures.lines import one_line
from arcadia_pipelines.failures.masking import mask_secrets


@pytest.mark.parametrize("text, secret, kept", [
    ("postgresql://arcadia:s3cr%40t@db.internal:5432/warehouse", "s3cr%40t", "postgresql://arcadia:***@db.internal"),
    ("postgresql+psycopg2://u:pw/with@h/db", "pw/with", "@h/db"),
    ("connection to 'host=db user=arcadia password=hunter22 dbname=w' failed", "hunter22", "user=arcadia"),
    ("Authorization: Bearer ak_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "ak_0123", "Authorization: Bearer ***"),
    ("key ak_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG was revoked", "ak_0123", "key *** was revoked"),
    ("401 for token dop_v1_0123456789abcdef0123456789abcdef", "dop_v1_0123", "401 for token ***"),
    ("signed with whsec_Lyoa_97KFXoLH_pFn9Ndhb2gaxzBYDxoSr9m8ih", "Lyoa_97K", "signed with ***"),
])
def test_secrets_are_masked_and_the_rest_kept(text, secret, kept):
    masked = mask_secrets(text)
    assert secret not in masked and kept in masked


def test_the_digitalocean_token_is_masked_whatever_its_shape(monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", "legacy-token-0123456789")
    assert mask_secrets("rejected legacy-token-0123456789 (401)") == "rejected *** (401)"


def test_an_error_line_drops_sql_parameters_and_driver_boilerplate():
    text = ("sqlalchemy.exc.IntegrityError: (psycopg2.errors.UniqueViolation) duplicate key\n"
            "[SQL: INSERT INTO api_keys (key_hash) VALUES (%(key_hash)s)]\n[parameters: {'key_hash': 'abc'}]\n"
            "(Background on this error at: https://sqlalche.me/e/21/gkpj)")
    assert one_line(text) == "(psycopg2.errors.UniqueViolation) duplicate key"
