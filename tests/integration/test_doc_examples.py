"""Every JSON example in the documentation is a config mcrelay loads.

Each ```json fenced block of every docs/*.md file is given to `mcrelay --validate-config --config '<json>'`
and must exit 0. A block that is meant to be rejected is marked by the line `<!-- invalid-example -->` right
before its fence (blank lines between are allowed) and must exit 1.

A block whose only problem is a route handle type that routes/builtin_routes.cpp registers but the binary
under test does not know (a stale build) is skipped, naming the handle; a type the source does not register
either (a typo in the docs) fails.
"""

import glob
import os
import re
import subprocess
import unittest

from mcrelay_testlib import MCRELAY_BIN, SOURCE_DIR, skip_without_proxy

DOCS_DIR = os.path.join(SOURCE_DIR, "docs")
INVALID_MARK = "<!-- invalid-example -->"
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(\S*)\s*$")


def json_blocks(path):
    """[(line number of the opening fence, text, marked invalid)] for each ```json block in `path`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(2), m.group(3).lower()
        start = i
        i += 1
        body = []
        while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                      and lines[i].strip().strip(fence[0]) == ""):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        if lang != "json":
            continue
        j = start - 1
        while j >= 0 and lines[j].strip() == "":
            j -= 1
        marked = j >= 0 and lines[j].strip() == INVALID_MARK
        blocks.append((start + 1, "\n".join(body), marked))
    return blocks


def registered_in_source():
    """Route handle type names that routes/builtin_routes.cpp registers."""
    path = os.path.join(SOURCE_DIR, "routes", "builtin_routes.cpp")
    try:
        with open(path, encoding="utf-8") as f:
            return set(re.findall(r'\.add(?:_list)?\("([A-Za-z0-9_]+)"', f.read()))
    except OSError:
        return set()


@skip_without_proxy("needs the real mcrelay binary to validate the examples")
class TestDocExamples(unittest.TestCase):
    def test_every_json_example_validates(self):
        docs = sorted(glob.glob(os.path.join(DOCS_DIR, "*.md")))
        self.assertTrue(docs, f"no docs/*.md under {DOCS_DIR}")
        source_types = registered_in_source()
        checked = 0
        for doc in docs:
            for line, text, marked_invalid in json_blocks(doc):
                where = f"{os.path.relpath(doc, SOURCE_DIR)}:{line}"
                with self.subTest(example=where):
                    proc = subprocess.run([MCRELAY_BIN, "--validate-config", "--config", text],
                                          capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
                    out = (proc.stdout + proc.stderr).strip()
                    checked += 1
                    want = 3 if marked_invalid else 0  # mcrouter's status for an invalid config
                    if proc.returncode != want and not marked_invalid:
                        m = re.search(r'unknown route handle type "([^"]+)"', out)
                        if m and m.group(1) in source_types:
                            self.skipTest(f"{where}: route handle {m.group(1)} is registered in the source but "
                                          f"not in {MCRELAY_BIN} (stale build?): {out}")
                    self.assertEqual(proc.returncode, want,
                                     f"{where}: a {'deliberately invalid' if marked_invalid else 'documented'} "
                                     f"example must exit {want} from --validate-config, got "
                                     f"{proc.returncode}\n  mcrelay says: {out}\n  example:\n{text}")
                    if marked_invalid:
                        self.assertIn("invalid config: <command line>", out, f"{where}: rejected for a reason")
        self.assertGreater(checked, 0, "no ```json examples found in docs/*.md")

    def test_routing_doc_has_examples_for_every_handle(self):
        path = os.path.join(DOCS_DIR, "routing.md")
        self.assertTrue(os.path.exists(path), "docs/routing.md is missing")
        # A handle refused on purpose (CarbonLookasideRoute, ...) is documented by its refusal: a block marked
        # <!-- invalid-example --> counts too (it is checked to be refused by test_json_examples).
        blocks = [text for _, text, _marked in json_blocks(path)]
        all_text = "\n".join(blocks)
        missing = [t for t in sorted(registered_in_source())
                   if f'"{t}"' not in all_text and f'"{t}|' not in all_text]
        self.assertEqual(missing, [], "route handles without a JSON example in docs/routing.md")


class TestBlockExtraction(unittest.TestCase):
    def test_marker_and_languages(self):
        import tempfile
        text = ("# t\n```json\n{\"a\": 1}\n```\n\n<!-- invalid-example -->\n\n```json\n{bad\n```\n"
                "```sh\nnot json\n```\n````json\n{\"b\": [\n```\n]}\n````\n")
        fd, path = tempfile.mkstemp(suffix=".md")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        try:
            blocks = json_blocks(path)
        finally:
            os.unlink(path)
        self.assertEqual(blocks, [(2, '{"a": 1}', False), (8, "{bad", True), (14, '{"b": [\n```\n]}', False)])


if __name__ == "__main__":
    unittest.main()
