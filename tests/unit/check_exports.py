#!/usr/bin/env python3
"""libst87.so exports exactly the functions its public header declares.

Usage: check_exports.py NM LIBRARY HEADER

Prints what is exported but not declared (an internal helper leaking into the
ABI) and what is declared but not exported (a public function a program cannot
link), and exits 1 when either list is not empty.
"""
import re
import subprocess
import sys

# Fewer than this many declarations means the header was not parsed, not that it is small.
MIN_PUBLIC_FUNCTIONS = 40


def declared_functions(header_path):
    with open(header_path) as header:
        text = header.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # A declaration names the function right before its "(". A function pointer
    # type, "(*st87_urc_fn)(...)", has ")" there instead, so it is not taken.
    return set(re.findall(r"\b(st87_\w+)\s*\(", text))


def exported_symbols(nm, library_path):
    listing = subprocess.run([nm, "--dynamic", "--defined-only", library_path],
                             capture_output=True, text=True, check=True).stdout
    # "0000000000005230 T st87_at_new"; versioned names would end in "@@VERSION".
    return {line.split()[-1].split("@")[0] for line in listing.splitlines() if line.strip()}


def main():
    nm, library_path, header_path = sys.argv[1:4]
    declared = declared_functions(header_path)
    exported = exported_symbols(nm, library_path)
    if len(declared) < MIN_PUBLIC_FUNCTIONS:
        print("only %d functions found in %s" % (len(declared), header_path))
        return 1
    leaked = sorted(exported - declared)
    missing = sorted(declared - exported)
    for name in leaked:
        print("exported but not in %s: %s" % (header_path, name))
    for name in missing:
        print("in %s but not exported: %s" % (header_path, name))
    if leaked or missing:
        return 1
    print("%d functions, exported as declared" % len(declared))
    return 0


if __name__ == "__main__":
    sys.exit(main())
