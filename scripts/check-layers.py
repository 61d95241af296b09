#!/usr/bin/env python3
"""Fails when a file under src/ includes a header of a higher layer, of another
room on its own layer, or by a path with "../" in it; and when docs/DESIGN.md's
layer list is not the tree: a folder missing or out of order, a source file it
does not name, or a name it gives that is no longer there.

Each folder of src/ is a room on one layer; a room may include its own headers,
include/ (libst87's public API) and the rooms of lower layers only.
"""
import pathlib
import re
import sys

# Bottom-up. Rooms on one layer know nothing of each other.
LAYERS = [
    ["libc"],  # libc's own fd and socket calls, beneath the shim's interposers
    ["core", "settings"],  # the driver core; the settings parsers (libc and core's st87-settings tables)
    ["wire"],  # st87d's protocol
    ["engine"],  # the bridge between routed sockets and the modem
    ["shim", "daemon", "tools"],  # the programs and the interposer
]
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
# An entry of DESIGN.md's layer list: "    src/ROOM/   what it holds", continued on indented lines.
DESIGN_ENTRY = re.compile(r"^    (\S+/) +(.*(?:\n {20,}\S.*)*)", re.MULTILINE)
SOURCE_NAME = re.compile(r"\b[\w.]+\.c\b")


def design_problems(root, layer_of):
    """What DESIGN.md's "## Layers" list says that the tree does not (or leaves out)."""
    design = (root / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    start = design.index("## Layers")
    end = design.find("\n## ", start + 1)
    entries = {m.group(1)[len("src/"):-1]: m.group(2) for m in DESIGN_ENTRY.finditer(design[start:end])
               if m.group(1).startswith("src/")}
    where = "docs/DESIGN.md, ## Layers"
    problems = [f"{where}: src/{room}/ is not listed" for room in layer_of if room not in entries]
    levels = [layer_of.get(room, -1) for room in entries]
    if levels != sorted(levels):
        problems.append(f"{where}: the src/ folders are not listed bottom-up: {list(entries)}")
    for room, text in entries.items():
        folder = root / "src" / room
        if room not in layer_of or not folder.is_dir():
            problems.append(f"{where}: src/{room}/ is listed but is not a room of src/")
            continue
        named = set(SOURCE_NAME.findall(text))
        problems += [f"{where}: src/{room}/{path.name} is not named" for path in sorted(folder.glob("*.c"))
                     if path.name not in named]
        problems += [f"{where}: src/{room}/ names {name}, which is not there" for name in sorted(named)
                     if not (folder / name).exists()]
    return problems


# "`engine.c` `try_modem` (...), `open_modem_socket`": a file, then the names said to be in it.
FILE_THEN_NAMES = re.compile(r"`(?:src/\w+/)?(\w+\.c)`((?:,? `\w+`(?: \([^)]*\))?)+)")


def design_name_problems(root):
    """Functions DESIGN.md places in a file of src/ or tests/fakemodem/ that the file does not hold."""
    text_of = {}
    for path in sorted(root.glob("src/*/*.c")) + sorted(root.glob("tests/fakemodem/*.c")):
        text_of[path.name] = text_of.get(path.name, "") + path.read_text(encoding="utf-8")
    design = (root / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    problems = []
    for match in FILE_THEN_NAMES.finditer(design):
        name = match.group(1)
        if name not in text_of:
            problems.append(f"docs/DESIGN.md names {name}, which is not a file of src/ or tests/fakemodem/")
            continue
        for function in re.findall(r"`(\w+)`", match.group(2)):
            if not re.search(r"\b" + function + r"\b", text_of[name]):
                problems.append(f"docs/DESIGN.md places {function} in {name}, which does not hold it")
    return problems


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    src = root / "src"
    layer_of = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}
    problems = []
    for folder in sorted(p for p in src.iterdir() if p.is_dir()):
        if folder.name not in layer_of:
            problems.append(f"src/{folder.name}/: a room with no layer: add it to LAYERS in {sys.argv[0]}")
            continue
        for path in sorted(folder.glob("*.[ch]")):
            for name in INCLUDE.findall(path.read_text(encoding="utf-8")):
                where = f"{path.relative_to(root)}: #include \"{name}\""
                if "../" in name:
                    problems.append(f"{where}: a relative path; name the header, the build says where it is")
                    continue
                if (folder / name).exists() or (root / "include" / name).exists():
                    continue
                owners = [room.name for room in src.iterdir() if (room / name).exists()]
                for owner in owners:
                    if owner in layer_of and layer_of[owner] >= layer_of[folder.name]:
                        problems.append(f"{where}: src/{owner}/ is not below src/{folder.name}/")
    problems += design_problems(root, layer_of)
    problems += design_name_problems(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
