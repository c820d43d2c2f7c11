#!/usr/bin/env python3
"""Prints the failed tests of TRX files (dotnet test's results) with the first lines of their messages and stacks,
so the last screen of a long test log says what failed."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def failures(path):
    root = ET.parse(path).getroot()
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") != "Failed":
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS).strip()
        stack = result.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=NS).strip()
        yield result.get("testName"), result.get("duration"), message, stack


def main(paths):
    found = [f for p in paths for f in failures(p)]
    if not found:
        print("trx-failures: no failed test in", " ".join(paths))
        return
    print(f"\n== {len(found)} failed test(s)")
    for name, duration, message, stack in found:
        print(f"\nFAILED {name} ({duration})")
        for line in message.splitlines()[:12]:
            print("  " + line)
        for line in stack.splitlines()[:6]:
            print("    " + line.strip())


if __name__ == "__main__":
    main(sys.argv[1:])
