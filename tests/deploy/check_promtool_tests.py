#!/usr/bin/env python3
"""Every series value of a promtool test file is a quoted string, so the data means what it says.

  check_promtool_tests.py FILE...

promtool reads `values:` as a string of its own notation ('0x40' is 0 repeated 40 times after the first),
but YAML reads an unquoted 0x40 as the hexadecimal number 64, 0o12 as 10 and 1_000 as 1000 before promtool
sees it: one sample instead of forty-one, and a test that passes for the wrong reason. A value YAML reads as
a number is an error, naming what YAML made of it; any other unquoted value is an error too (quote every
value, so the next one written in the same style is safe). Exits 1 on any error.
"""
import sys

import yaml


def values_nodes(node, path=""):
    """(path, node) of every `values:` scalar under input_series, anywhere in the document."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = f"{path}.{key.value}" if path else key.value
            if key.value == "values" and "input_series" in path:
                yield here, value
            else:
                yield from values_nodes(value, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from values_nodes(item, f"{path}[{i}]")


def problems(text, name):
    """One message per series value that is not a quoted string."""
    out = []
    for path, node in values_nodes(yaml.compose(text, Loader=yaml.SafeLoader)):
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.ScalarNode):
            out.append(f"{name}:{line}: {path} is not a string of promtool values")
            continue
        if node.style in ("'", '"'):
            continue
        read = yaml.safe_load(node.value) if node.value else None
        if isinstance(read, (int, float)) and not isinstance(read, bool):
            out.append(f"{name}:{line}: {path}: YAML reads the unquoted {node.value} as the number {read!r}, "
                       f"not as promtool values; quote it: '{node.value}'")
        else:
            out.append(f"{name}:{line}: {path}: unquoted series values {node.value!r}; quote every value")
    return out


def main(paths) -> int:
    errors = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            errors += problems(f.read(), path)
    for e in errors:
        print(f"ERROR: {e}")
    if not errors:
        print(f"promtool series values: every value quoted in {', '.join(paths)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
