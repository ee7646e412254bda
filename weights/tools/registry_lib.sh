# registry_lib.sh - shell functions shared by the encoder data builders (build_codeswitch.sh,
# build_droppairs.sh, build_wordpairs.sh); sourced, not run.  The caller sets CORPUS (the registry
# corpus of build_corpus.sh), OUT (its output folder), WORDNET_DIR (may be empty) and defines die().

# thin CAP M: at most CAP of the M lines on stdin, spread evenly (line i is kept when floor((i+1)r/M)
# passes floor(ir/M), r = min(CAP, M)); deterministic, no random step
thin() { awk -v cap="$1" -v m="$2" 'BEGIN { r = cap < m ? cap : m } { if (int((i + 1) * r / m) > int(i * r / m)) print; i++ }'; }

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

# dictd_entries INDEX DICT_DZ: the entries of a Debian FreeDict dictd dictionary (freedict-XXX-YYY.index
# and .dict.dz) as headword<TAB>translation, one translation a line.  The .index gives headword, base64
# offset, base64 length into the dictzip'd text; an entry is "headword /IPA/ <pos>", then its
# translations: the first line, and every line starting "N. " (WikDict-based dictionaries follow each
# translation line with a definition line in the source language, which is skipped; a translation
# line may end in the next sense's number " N.").  Translations are split at ", " and stripped of
# <gram> and [domain] notes; a headword with ", " is split only when every part is one word
# ("abortivo, abortiva"; "Hunde, die bellen, beißen nicht" is left out).
dictd_entries() {
    gzip -dc "$2" | awk -v idx="$1" '
        BEGIN { B = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                for (i = 1; i <= 64; i++) b64[substr(B, i, 1)] = i - 1
                RS = "\001"; getline data; RS = "\n"
                while ((getline s < idx) > 0) {
                    split(s, f, "\t"); if (f[1] ~ /^00database/ || f[3] == "") continue
                    n = split(substr(data, dec(f[2]) + 1, dec(f[3])), L, "\n")
                    head = clean(L[1])
                    nh = split(head, H, /, /)
                    if (nh > 1) for (j = 1; j <= nh; j++) if (H[j] ~ / /) nh = 0
                    for (j = 2; j <= n; j++) {
                        t = L[j]
                        if (j > 2 && t !~ /^[0-9]+\. /) continue
                        sub(/^[0-9]+\. /, "", t); sub(/ *[0-9]+\.$/, "", t); t = clean(t)
                        m = split(t, g, /, /)
                        for (k = 1; k <= m; k++) if (g[k] != "") for (h = 1; h <= nh; h++) if (H[h] != "") print H[h] "\t" g[k]
                    } } }
        function dec(s,   v, i) { v = 0; for (i = 1; i <= length(s); i++) v = v * 64 + b64[substr(s, i, 1)]; return v }
        function clean(s) { gsub(/ *\/[^\/]*\//, "", s); gsub(/ *<[^>]*>/, "", s); gsub(/ *\[[^]]*\]/, "", s)
                            gsub(/^ +| +$/, "", s); return s }'
}

# deb_fetch PKG...: unpack the Debian packages (downloaded with one apt-get download into OUT/src/deb,
# those not there yet) into OUT/src/root; dies when a download fails.  Appends
# "package<TAB>version<TAB>sha256" to OUT/src/debs.tsv.
deb_fetch() {
    mkdir -p "$OUT/src/deb" "$OUT/src/root"
    want=""
    for p in "$@"; do ls "$OUT"/src/deb/"${p}"_*.deb > /dev/null 2>&1 || want="$want $p"; done
    if [ -n "$want" ]; then
        (cd "$OUT/src/deb" && apt-get download $want > /dev/null) || die "apt-get download$want failed"
    fi
    for p in "$@"; do
        d=$(ls "$OUT"/src/deb/"${p}"_*.deb | head -n 1)
        dpkg-deb -x "$d" "$OUT/src/root"
        printf '%s\t%s\t%s\n' "$p" "$(dpkg-deb -f "$d" Version)" "$(sha256sum < "$d" | cut -d ' ' -f 1)" >> "$OUT/src/debs.tsv"
    done
}
