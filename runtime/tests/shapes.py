"""Checks a value against a definition of runtime/protocol.json, the one description of what netlab and the
helpers say to each other (netlab's side: test/unit/protocol.test.ts, with ajv).

A small JSON Schema (draft-07) checker, standard library only: it knows the keywords protocol.json uses and
refuses a schema with any other (KNOWN), so a keyword added there cannot be silently ignored here.
"""
import json
import re

import netlab_ns

KNOWN = frozenset(("$schema", "$id", "$ref", "title", "description", "version", "definitions", "type", "properties", "required",
                   "additionalProperties", "items", "enum", "const", "oneOf", "anyOf", "minimum", "maximum", "minLength", "pattern"))

with open(netlab_ns.PROTOCOL_FILE, encoding="utf-8") as f:
    PROTOCOL = json.load(f)

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def unknown_keywords(schema=PROTOCOL, path="#"):
    """Keywords of the schema this checker does not know, by where they are."""
    found = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in KNOWN:
                found.append(f"{path}/{key}")
            if key in ("properties", "definitions"):
                for name, sub in value.items():
                    found += unknown_keywords(sub, f"{path}/{key}/{name}")
            elif key in ("items", "additionalProperties"):
                found += unknown_keywords(value, f"{path}/{key}")
            elif key in ("oneOf", "anyOf"):
                for i, sub in enumerate(value):
                    found += unknown_keywords(sub, f"{path}/{key}/{i}")
    return found


def problems(value, schema, at="/"):
    """Why `value` is not what `schema` describes, in words; empty when it is."""
    if isinstance(schema, bool):
        return [] if schema else [f"{at}: not allowed"]
    if "$ref" in schema:
        return problems(value, PROTOCOL["definitions"][schema["$ref"].split("/")[-1]], at)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            return [f"{at}: not of type {'/'.join(types)}"]
    found = []
    if "const" in schema and (value != schema["const"] or type(value) is not type(schema["const"])):
        found.append(f"{at}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: not one of {schema['enum']}")
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        found.append(f"{at}: under {schema['minimum']}")
    if "maximum" in schema and TYPES["number"](value) and value > schema["maximum"]:
        found.append(f"{at}: over {schema['maximum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{at}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        found += [f"{at}: lacks {key}" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in props:
                found += problems(item, props[key], f"{at}{key}/")
            elif "additionalProperties" in schema:
                found += problems(item, schema["additionalProperties"], f"{at}{key}/")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += problems(item, schema["items"], f"{at}{i}/")
    if "oneOf" in schema:
        fits = sum(1 for sub in schema["oneOf"] if not problems(value, sub, at))
        if fits != 1:
            found.append(f"{at}: fits {fits} of oneOf's {len(schema['oneOf'])}, not one")
    if "anyOf" in schema and all(problems(value, sub, at) for sub in schema["anyOf"]):
        found.append(f"{at}: fits none of anyOf")
    return found


def shape_problems(name, value):
    """Why `value` is not protocol.json's definition `name`."""
    return problems(value, PROTOCOL["definitions"][name])
