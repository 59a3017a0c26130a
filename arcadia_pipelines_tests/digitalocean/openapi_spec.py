"""DigitalOcean's public OpenAPI spec as JSON Schema, to check fakes and fixtures against it.

Reads the excerpt vendored in `vendor/digitalocean-openapi` (see its SOURCE.md) unless
$ARCADIA_DO_OPENAPI_DIR names another copy of the spec's `specification` directory.

The spec is split across YAML files joined by relative `$ref`s; `referencing` resolves them file
by file. OpenAPI 3.0 schemas are JSON Schema draft-7-like (a `$ref` ignores its siblings) plus
`nullable`, which is rewritten into a `"null"` type.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import yaml
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ENV_VAR = "ARCADIA_DO_OPENAPI_DIR"
ROOT_FILE = "DigitalOcean-public.v2.yaml"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "vendor/digitalocean-openapi/specification"


def spec_dir(directory: str | os.PathLike | None = None) -> Path:
    """`directory`, else $ARCADIA_DO_OPENAPI_DIR, else the repository's vendored excerpt."""
    chosen = Path(directory or os.environ.get(ENV_VAR) or DEFAULT_DIR)
    if not (chosen / ROOT_FILE).is_file():
        raise FileNotFoundError(f"No {ROOT_FILE} in {chosen}; set {ENV_VAR} to the spec directory")
    return chosen


class _SpecLoader(yaml.SafeLoader):
    """YAML 1.2 scalars: only true/false are booleans (the droplet status enum has `off`), and
    dates stay strings as in JSON."""


_BOOL, _TIMESTAMP = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"
_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SpecLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a "null" type; keys become strings."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {str(key): to_json_schema(value) for key, value in node.items()}
    if schema.get("nullable") is True:
        del schema["nullable"]
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        else:
            schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


@functools.cache
def load_document(path: Path) -> Any:
    """One spec file as JSON Schema (cached): YAML 1.2 scalars, `nullable` rewritten."""
    with path.open(encoding="utf-8") as f:
        return to_json_schema(yaml.load(f, Loader=_SpecLoader))


_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _is_date_time(value: object) -> bool:
    """RFC 3339, which is what DigitalOcean sends; non-strings are the `type` keyword's business."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS = FormatChecker()
FORMATS.checks("date-time")(_is_date_time)


class OpenApiSpec:
    """Response schemas of DigitalOcean's API, e.g.
    `OpenApiSpec().response_errors("/v2/droplets", body)`."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = spec_dir(directory).resolve()
        self._root = (self.directory / ROOT_FILE).as_uri()
        self._registry = Registry(retrieve=self._retrieve)

    def _retrieve(self, uri: str) -> Resource:
        return Resource.from_contents(self._load(uri), default_specification=DRAFT7)

    def _load(self, uri: str) -> Any:
        return load_document(Path(url2pathname(urlsplit(uri).path)))

    def _follow(self, uri: str, pointer: str) -> tuple[str, str]:
        """Where the node at `uri#pointer` ends up after its chain of `$ref`s."""
        while True:
            node = self._load(uri)
            for segment in pointer.split("/")[1:]:
                node = node[segment.replace("~1", "/").replace("~0", "~")]
            if not (isinstance(node, dict) and "$ref" in node):
                return uri, pointer
            uri, _, pointer = urljoin(uri, node["$ref"]).partition("#")

    def response_schema_ref(self, api_path: str, method: str = "get", status: str = "200") -> str:
        """Absolute `$ref` to the JSON body schema of `method api_path` answering `status`."""
        escaped = api_path.replace("~", "~0").replace("/", "~1")
        uri, operation = self._follow(self._root, f"/paths/{escaped}/{method}")
        uri, response = self._follow(uri, f"{operation}/responses/{status}")
        uri, schema = self._follow(uri, f"{response}/content/application~1json/schema")
        return f"{uri}#{schema}"

    def response_validator(self, api_path: str, method: str = "get", status: str = "200") -> Draft7Validator:
        ref = self.response_schema_ref(api_path, method, status)
        return Draft7Validator({"$ref": ref}, registry=self._registry, format_checker=FORMATS)

    def response_errors(self, api_path: str, body: Any, method: str = "get", status: str = "200") -> list[str]:
        """Every way `body` breaks the spec, as 'path.to.field: message'; [] when it conforms."""
        validator = self.response_validator(api_path, method, status)
        return [
            f"{error.json_path}: {error.message}"
            for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
        ]
