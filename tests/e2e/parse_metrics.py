#!/usr/bin/python3
"""Parses a /metrics body (stdin) with the Prometheus client library's own text parser and prints
its families as JSON: {"<family>": {"type": ..., "samples": [[name, {labels}, value], ...]}}.
Exits 1, with the parser's message, when the body is not valid Prometheus text."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = {}
    try:
        for family in text_string_to_metric_families(text):
            if family.name in families:
                raise ValueError("family %s appears twice" % family.name)
            families[family.name] = {
                "type": family.type,
                "samples": [[s.name, s.labels, s.value] for s in family.samples],
            }
    except Exception as error:  # the parser's own error names the line
        print("invalid Prometheus text: %s" % error, file=sys.stderr)
        return 1
    json.dump(families, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
