"""A structural check of regular expressions (issue 15): does a pattern let the engine backtrack for a time
that grows faster than the length of the text?

Python's engine backtracks. Three shapes make it slow on text a stranger chose, and each is found by
walking the parsed pattern (re._parser, formerly sre_parse), not by timing it:

- nested repeats: an unbounded repeat inside a repeat, `(a+)+`, `(\\s*x?)*` (exponential);
- adjacent repeats: an unbounded repeat followed, with nothing in between that it could not match itself,
  by another unbounded repeat that can match one of the same characters: `\\s*\\s*`, `\\s+\\S*\\s+`,
  `[^@]+\\.[^@]+` (the dot is one of the first's characters), `[^"]*{z}[^"]*` (polynomial);
- a leading repeat in a pattern searched for (re.search, sub, split, findall...: tried at every position):
  an unbounded repeat first, followed by anything that can fail, `\\s*(?:eur|usd)$` (quadratic). A repeat
  alone (`\\s+` in a sub) cannot fail once it has matched, so it is fine.

Possessive repeats (`x*+`) and atomic groups never give back what they matched and are not counted.
"""
import ast
import importlib
import pathlib
import re
import re._constants as C
import re._parser as P

REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT)
FUNCTIONS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
ANCHORED_CALLS = {"match", "fullmatch"}  # the engine tries them at the start only
# Characters the overlap of two repeats is judged on: Latin-1 and beyond, the spaces and signs people type.
SAMPLE = [chr(i) for i in range(0x250)] + list("\u2009\u202f\u3000\u2028’‘“”€£¥₹₽₩₦₱₴₪ºªЖж中")
_CATEGORIES = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
               C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
ALL = frozenset(SAMPLE)


def _in_set(items, ch):
    negate, hit = False, False
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            hit = hit or ch == chr(av)
        elif op is C.RANGE:
            hit = hit or av[0] <= ord(ch) <= av[1]
        elif op is C.CATEGORY:
            hit = hit or bool(re.fullmatch(_CATEGORIES.get(av, r"[\s\S]"), ch))
        else:  # anything unusual: it may match anything
            hit = True
    return hit != negate


def _single(op, av, flags):
    """The characters (of SAMPLE) a one-character item matches, or None if the item is not one."""
    fold = bool(flags & re.IGNORECASE)
    if op is C.LITERAL:
        ch = chr(av)
        return frozenset({ch, ch.lower(), ch.upper()} if fold else {ch})
    if op is C.NOT_LITERAL:
        return ALL - {chr(av)}
    if op is C.ANY:
        return ALL
    if op is C.IN:
        return frozenset(ch for ch in SAMPLE if _in_set(av, ch) or (fold and (
            _in_set(av, ch.lower()) or _in_set(av, ch.upper()))))
    return None


def _unbounded(op, av):
    return op in REPEATS and av[1] == C.MAXREPEAT


def _nullable(seq, flags):
    return all(_item_nullable(op, av, flags) for op, av in seq)


def _item_nullable(op, av, flags):
    if op in REPEATS or op is C.POSSESSIVE_REPEAT:
        return av[0] == 0 or _nullable(av[2], flags)
    if op is C.SUBPATTERN:
        return _nullable(av[3], _flags(flags, av))
    if op is C.ATOMIC_GROUP:
        return _nullable(av, flags)
    if op is C.BRANCH:
        return any(_nullable(alt, flags) for alt in av[1])
    return op in (C.AT, C.ASSERT, C.ASSERT_NOT)


def _flags(flags, av):
    return (flags | av[1]) & ~av[2]


def _chars(seq, flags):
    """Every character some one-character item anywhere in seq matches."""
    out = set()
    for op, av in seq:
        single = _single(op, av, flags)
        if single is not None:
            out |= single
        elif op in REPEATS or op is C.POSSESSIVE_REPEAT:
            out |= _chars(av[2], flags)
        elif op is C.SUBPATTERN:
            out |= _chars(av[3], _flags(flags, av))
        elif op is C.ATOMIC_GROUP:
            out |= _chars(av, flags)
        elif op is C.BRANCH:
            for alt in av[1]:
                out |= _chars(alt, flags)
        elif op not in (C.AT, C.ASSERT, C.ASSERT_NOT):
            out |= ALL
    return out


def _first(seq, flags):
    """The characters a match of seq can start with."""
    out = set()
    for op, av in seq:
        single = _single(op, av, flags)
        if single is not None:
            return out | single
        if op in REPEATS or op is C.POSSESSIVE_REPEAT:
            out |= _first(av[2], flags)
        elif op is C.SUBPATTERN:
            out |= _first(av[3], _flags(flags, av))
        elif op is C.ATOMIC_GROUP:
            out |= _first(av, flags)
        elif op is C.BRANCH:
            for alt in av[1]:
                out |= _first(alt, flags)
        elif op not in (C.AT, C.ASSERT, C.ASSERT_NOT):
            return out | ALL
        if not _item_nullable(op, av, flags):
            return out
    return out


def _has_unbounded(seq):
    for op, av in seq:
        if _unbounded(op, av):
            return True
        children = (av[2] if op in REPEATS or op is C.POSSESSIVE_REPEAT else av[3] if op is C.SUBPATTERN
                    else av if op is C.ATOMIC_GROUP else None)
        if children is not None and _has_unbounded(children):
            return True
        if op is C.BRANCH and any(_has_unbounded(alt) for alt in av[1]):
            return True
    return False


def _inline(seq, flags):
    """seq with a leading group opened, and a leading alternation as one sequence per alternative:
    [(items, flags)]. Bounded: only the first item is opened, a few levels deep."""
    out, todo = [], [(list(seq), flags, 0)]
    while todo:
        items, fl, depth = todo.pop()
        if items and depth < 8 and items[0][0] is C.SUBPATTERN:
            av = items[0][1]
            todo.append((list(av[3]) + items[1:], _flags(fl, av), depth + 1))
        elif items and depth < 8 and items[0][0] is C.BRANCH:
            todo.extend((list(alt) + items[1:], fl, depth + 1) for alt in items[0][1][1])
        else:
            out.append((items, fl))
    return out


def _can_fail(seq, flags):
    """Whether matching seq can fail (anything but repeats that may match nothing)."""
    return not all((op in REPEATS or op is C.POSSESSIVE_REPEAT) and av[0] == 0 for op, av in seq)


def problems(pattern, flags=0, anchored=False):
    """What makes `pattern` backtrack badly, in words ([] when nothing does)."""
    parsed = P.parse(pattern, flags)
    flags = parsed.state.flags
    found = []
    _walk(list(parsed), flags, found)
    if not anchored:
        for items, fl in _inline(list(parsed), flags):
            if items and items[0][0] is C.AT and items[0][1] in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
                continue
            if items and _unbounded(*items[0]) and _can_fail(items[1:], fl):
                found.append("a leading unbounded repeat followed by what can fail, in a pattern searched for")
                break
    return sorted(set(found))


def _walk(seq, flags, found):
    for i, (op, av) in enumerate(seq):
        if op in REPEATS:
            if av[1] > 1 and _has_unbounded(av[2]):
                found.append("an unbounded repeat nested in a repeat")
            _walk(list(av[2]), flags, found)
        elif op is C.POSSESSIVE_REPEAT:
            _walk(list(av[2]), flags, found)
        elif op is C.SUBPATTERN:
            _walk(list(av[3]) + list(seq[i + 1:]), _flags(flags, av), found)
        elif op is C.ATOMIC_GROUP:
            _walk(list(av), flags, found)
        elif op is C.BRANCH:
            for alt in av[1]:
                _walk(list(alt) + list(seq[i + 1:]), flags, found)
        if _unbounded(op, av) and _adjacent(av[2], seq[i + 1:], flags):
            found.append("two adjacent unbounded repeats that can match the same character")


def _adjacent(body, rest, flags):
    """Whether an unbounded repeat of `body` is followed in `rest`, through items it could match itself or
    that match nothing, by another unbounded repeat sharing a character with it."""
    mine = _chars(body, flags)
    for items, fl in _inline(list(rest), flags):
        for op, av in items:
            if _unbounded(op, av):
                if _first(av[2], fl) & mine:
                    return True
                if _item_nullable(op, av, fl):
                    continue
                break
            single = _single(op, av, fl)
            if single is not None and single <= mine:
                continue
            if _item_nullable(op, av, fl):
                continue
            break
    return False


def patterns_in(roots):
    """Every pattern in the packages under `roots`: [(where, pattern, flags, anchored)] from module-level
    compiled patterns (also inside a dict, list or tuple), and from re.<function>("literal") calls in the
    source. A re call whose pattern is neither a literal nor a module-level compiled pattern is reported as
    a problem of its own (where, None, 0, False), since it cannot be checked."""
    out = []
    for root in roots:
        root = pathlib.Path(root)
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root.parent)
            if "migrations" in rel.parts or rel.name == "wsgi.py":
                continue
            source = path.read_text()
            tree = ast.parse(source)
            module_level = {id(node) for node in tree.body}
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                        and node.func.attr in FUNCTIONS and node.args):
                    continue
                arg = node.args[0]
                where = f"{rel}:{node.lineno}"
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.append((where, arg.value, 0, node.func.attr in ANCHORED_CALLS))
                elif node.func.attr != "compile" or not _assigned_at_module_level(tree, node):
                    out.append((where, None, 0, False))
            module = importlib.import_module(".".join(rel.with_suffix("").parts).removesuffix(".__init__"))
            for name, value in vars(module).items():
                values = value.values() if isinstance(value, dict) else value if isinstance(
                    value, (list, tuple)) else [value]
                for item in values:
                    if isinstance(item, re.Pattern) and getattr(module, "__name__", "") == module.__name__:
                        out.append((f"{module.__name__}.{name}", item.pattern, item.flags & ~re.UNICODE, False))
    return out


def _assigned_at_module_level(tree, call):
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(n is call for n in ast.walk(node)):
            return True
    return False
