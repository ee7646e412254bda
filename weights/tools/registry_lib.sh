# registry_lib.sh - shell functions shared by the encoder data builders (build_codeswitch.sh,
# build_droppairs.sh, build_wordpairs.sh); sourced, not run.  The caller sets CORPUS (the registry
# corpus of build_corpus.sh), OUT (its output folder), WORDNET_DIR (may be empty) and defines die().

# train_pairs LANG: pairs/train/en-LANG.tsv with its source sidecar, minus any debian-handbook /
# multi30k line (evaluation sets are never read for training)
train_pairs() {
    f=$CORPUS/pairs/train/en-$1.tsv
    [ -r "$f" ] || die "no $f"
    if [ -r "${f%.tsv}.src" ]; then
        paste "${f%.tsv}.src" "$f" | awk -F '\t' -v OFS='\t' '$1 !~ /debian-handbook|multi30k/ { print $2, $3, $4, $5 }'
    else
        cat "$f"
    fi
}

# wordnet_fetch: unless WORDNET_DIR is set, fetch Debian wordnet-base (apt-get download) and unpack it
# under OUT/src, setting WORDNET_DIR; dies when data.{noun,verb,adj,adv} are not there
wordnet_fetch() {
    if [ -z "$WORDNET_DIR" ]; then
        WORDNET_DIR=$OUT/src/wn/usr/share/wordnet
        if [ ! -r "$WORDNET_DIR/data.noun" ]; then
            mkdir -p "$OUT/src"
            (cd "$OUT/src" && apt-get download wordnet-base) || die "apt-get download wordnet-base failed (set WORDNET_DIR)"
            dpkg-deb -x "$(ls "$OUT"/src/wordnet-base_*.deb | head -n 1)" "$OUT/src/wn"
        fi
    fi
    for pos in noun verb adj adv; do [ -r "$WORDNET_DIR/data.$pos" ] || die "no $WORDNET_DIR/data.$pos"; done
}

# wordnet_examples: the example sentences of WordNet 3.0's glosses (12-200 bytes, no TAB), sorted and
# de-duplicated (LC_ALL=C), on stdout.  data.POS: licence header lines start with two spaces; the
# gloss follows "| "; examples are "quoted".
wordnet_examples() {
    for pos in noun verb adj adv; do
        awk 'substr($0, 1, 2) != "  " {
            g = $0; sub(/^[^|]*\| /, "", g)
            while (match(g, /"[^"]*"/)) {
                q = substr(g, RSTART + 1, RLENGTH - 2); g = substr(g, RSTART + RLENGTH)
                if (length(q) >= 12 && length(q) <= 200 && q !~ /\t/) print q
            } }' "$WORDNET_DIR/data.$pos"
    done | sort -u
}
