"""JUnit XML for `harness gate --junit FILE`: one testcase per gate check and one per item.

Item testcases fail only for regressions the gate acted on (a must-pass item that is not
correct, or a pass->fail flip when the accuracy check failed); a flip within noise passes
with a note in system-out; items that were never judged (infra error, missing) are skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import HarnessError
from ..outputs import check_output
from .gate import GateResult


def junit_tree(result: GateResult) -> ET.ElementTree:
    label = result.summary.label
    accuracy_failed = not next(c.ok for c in result.checks if c.name == "accuracy")
    root = ET.Element("testsuites", name=f"harness gate {label}")

    checks = ET.SubElement(root, "testsuite", name=f"gate.{label}")
    for check in result.checks:
        case = ET.SubElement(checks, "testcase", classname=f"gate.{label}", name=check.name)
        if not check.ok:
            ET.SubElement(case, "failure", message=check.message, type=check.kind).text = check.message
        else:
            ET.SubElement(case, "system-out").text = check.message
    _count(checks)

    items = ET.SubElement(root, "testsuite", name=f"items.{label}")
    for verdict in result.items:
        case = ET.SubElement(
            items, "testcase", classname=f"items.{label}.{verdict.family_id or 'unknown'}", name=verdict.item_id
        )
        change = f"{verdict.baseline or 'absent'} -> {verdict.current or 'absent'}"
        if verdict.status == "must_pass_failed":
            ET.SubElement(
                case, "failure", message=f"must-pass item not correct: {change}", type="must_pass"
            ).text = change
        elif verdict.status == "flip_down" and accuracy_failed:
            ET.SubElement(case, "failure", message=f"pass->fail: {change}", type="regression").text = change
        elif verdict.status == "not_judged":
            ET.SubElement(case, "skipped", message=f"not judged: {change}")
        elif verdict.status in ("flip_down", "flip_up"):
            note = "within noise" if verdict.status == "flip_down" else "improved"
            ET.SubElement(case, "system-out").text = f"{verdict.status.replace('_', ' ')} ({note}): {change}"
    _count(items)
    root.set("tests", str(sum(int(s.get("tests") or 0) for s in root)))
    root.set("failures", str(sum(int(s.get("failures") or 0) for s in root)))
    root.set("skipped", str(sum(int(s.get("skipped") or 0) for s in root)))
    ET.indent(root)
    return ET.ElementTree(root)


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))


def write_junit(result: GateResult, path: str | Path) -> None:
    target = check_output(path, "JUnit XML")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        junit_tree(result).write(target, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise HarnessError(f"cannot write JUnit XML {target}: {exc.strerror or exc}") from None
