#!/usr/bin/env python3
"""Every module declares what it imports, and imports what it declares.

For each Swift target of Package.swift (read through `swift package
dump-package`), compares the `import X` lines of its sources with its declared
dependencies and prints one line per difference:
  - an import of a package target or product the target does not declare
    (it builds only because something else pulled the module in);
  - an import of a module that is neither a target, a declared product nor a
    system module (a transitive product: declare it);
  - a declared dependency no file of the target imports (it links for nothing).
Exit status 1 when there is any line, 0 otherwise. Run by Launch/test.

Why strict: a module that builds on an undeclared import breaks when the
declaration it leaned on goes, and a test target that declares more than it
imports links (and waits for) code it does not test.
"""
import json
import os
import re
import subprocess
import sys

# The toolchain's and the platform's modules: no package declares them.
SYSTEM = {"Foundation", "FoundationXML", "FoundationNetworking", "FoundationEssentials",
          "Glibc", "Darwin", "Musl", "Dispatch", "XCTest", "Testing", "Synchronization",
          "_Concurrency", "os", "Swift"}

# Dependencies that are linked for their side effect, not imported.
LINKED_ONLY = set()

IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|typealias|func|let|var)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def declared(target):
    """The module names of a target's dependencies (a product's name is its module's)."""
    names = set()
    for dep in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dep:
                names.add(dep[kind][0])
    return names


def imports(folder):
    """{module: first file importing it} over the Swift files under folder."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(root, name)
            in_literal = False  # inside a multi-line string literal (embedded Python, ...)
            with open(path, encoding="utf-8") as f:
                for line in f:
                    m = None if in_literal else IMPORT.match(line)
                    if m:
                        found.setdefault(m.group(1), os.path.normpath(path))
                    if line.count('"""') % 2 == 1:
                        in_literal = not in_literal
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                        capture_output=True, text=True).stdout)
    targets = {t["name"]: t for t in package["targets"]}
    products = {dep["product"][0] for t in package["targets"] for dep in t["dependencies"] if "product" in dep}
    lines = []
    for name, target in targets.items():
        if target["type"] in ("system", "binary", "plugin", "macro"):
            continue
        folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
        used = imports(os.path.normpath(os.path.join(root, folder)))
        deps = declared(target)
        for module, path in sorted(used.items()):
            if module in deps or module in SYSTEM or module == name:
                continue
            if module in targets or module in products:
                lines.append(f"{path}: {name} imports {module} but does not declare it in Package.swift")
            else:
                lines.append(f"{path}: {name} imports {module}, which no dependency of {name} names "
                             f"(declare its product in Package.swift)")
        for module in sorted(deps - set(used) - LINKED_ONLY):
            lines.append(f"{folder}: {name} declares {module} in Package.swift but no file of it imports it")
    for line in lines:
        print(line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
