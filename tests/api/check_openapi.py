#!/usr/bin/env python3
"""Checks captured HTTP responses against the OpenAPI 3.1 file of the ingester.

Usage: check_openapi.py OPENAPI.yaml CAPTURE.json...
Each capture is {"method", "path" (as sent, with its query), "status", "content_type", "body"}.
A response passes when the spec documents its path, method and status, and, for a JSON
response with a schema, the body validates against it (JSON Schema 2020-12, as OpenAPI 3.1
uses). Prints one line per failure and a summary; exits 1 on any failure.
"""
import json
import re
import sys

import jsonschema
import yaml


def template_for(paths, path):
    """The spec's path template that `path` (without query) matches, or None."""
    for template in paths:
        pattern = "^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    return None


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    components = spec.get("components", {})
    failures = 0
    checked = 0
    for name in sys.argv[2:]:
        capture = json.load(open(name))
        where = f'{capture["method"]} {capture["path"]} -> {capture["status"]}'
        path = capture["path"].split("?", 1)[0]
        template = template_for(spec["paths"], path)
        operation = spec["paths"].get(template, {}).get(capture["method"].lower()) if template else None
        if operation is None:
            print(f"{where}: not in the spec")
            failures += 1
            continue
        response = operation["responses"].get(str(capture["status"]))
        if response is None:
            print(f"{where}: status not documented")
            failures += 1
            continue
        if "$ref" in response:
            response = components["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content", {})
        media = capture["content_type"].split(";", 1)[0].strip()
        if content and media not in content:
            print(f"{where}: content type {media} not documented ({', '.join(content)})")
            failures += 1
            continue
        schema = content.get(media, {}).get("schema")
        checked += 1
        if schema is None:
            continue
        wrapped = dict(schema)
        wrapped["components"] = components
        try:
            jsonschema.Draft202012Validator(wrapped).validate(json.loads(capture["body"]))
        except (jsonschema.ValidationError, json.JSONDecodeError) as e:
            print(f"{where}: {str(e).splitlines()[0]}")
            failures += 1
    print(f"{checked} responses checked against {sys.argv[1]}, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
