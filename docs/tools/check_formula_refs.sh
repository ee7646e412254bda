#!/bin/sh
# check_formula_refs.sh - verify the code references of the documentation: every link written as
#     [`function_name`](../path/to/file.c#L123)
# in the given Markdown files (default: docs/formulas.md) must point at a line of that file that
# contains "function_name(" (its definition, or the line of the call being cited).  Prints each
# stale reference with the line where the name is defined now, and exits 1 when any is stale.
# Usage (from the repository root): sh docs/tools/check_formula_refs.sh [--fix] [docs/formulas.md ...]
# --fix rewrites a stale line number in place when the function is still defined in the same file.
# Run by tests/test_pipeline.c (test_formula_refs).
set -u
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
[ $# -gt 0 ] || set -- docs/formulas.md
bad=0; n=0
for doc in "$@"; do
    [ -r "$doc" ] || { echo "check_formula_refs: cannot read $doc" >&2; exit 2; }
    docdir=$(dirname "$doc")
    # one "name path line" triple per reference
    refs=$(grep -o '\[`[A-Za-z_][A-Za-z_0-9]*`\]([^)#]*#L[0-9][0-9]*)' "$doc" |
           sed 's/^\[`\([^`]*\)`\](\([^)#]*\)#L\([0-9]*\))$/\1 \2 \3/')
    [ -n "$refs" ] || continue
    while read -r name path line; do
        n=$((n + 1))
        file=$docdir/$path
        if [ ! -r "$file" ]; then
            echo "$doc: $name: $path does not exist"; bad=$((bad + 1)); continue
        fi
        if ! sed -n "${line}p" "$file" | grep -q "$name("; then
            now=$(grep -n "^[A-Za-z].*[ *]$name(" "$file" | head -n 1 | cut -d: -f1)
            if [ "$fix" = 1 ] && [ -n "$now" ]; then
                sed "s|\[\`$name\`\]($path#L$line)|[\`$name\`]($path#L$now)|g" "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
                echo "$doc: $name: $path:$line -> line $now (fixed)"
            else
                echo "$doc: $name: $path:$line does not define it${now:+ (defined at line $now now)}"
                bad=$((bad + 1))
            fi
        fi
    done <<REFS
$refs
REFS
done
if [ "$bad" -ne 0 ]; then
    echo "check_formula_refs: $bad of $n references are stale (sh docs/tools/check_formula_refs.sh --fix $* updates the line numbers)"; exit 1
fi
echo "check_formula_refs: all $n references point at their functions"
