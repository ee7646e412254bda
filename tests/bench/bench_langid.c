/* bench_langid.c - language identification throughput of the shipped model:
 * lines/s and MB/s for sentences (30-120 characters, 12 languages) and for
 * single words, one thread, xl_langid_classify per line (what `xlrec langid`
 * does, without the I/O).
 *   usage: bench_langid [MODEL] [SECONDS_PER_CASE]
 *   default model weights/langid/langid.xlid (run from the repository root) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langid.h"
#include "xl_platform.h"

static const char *SENTENCES[] = {
    "Everyone has the right to life, liberty and security of person.",
    "Jeder hat das Recht auf Leben, Freiheit und Sicherheit der Person.",
    "Tout individu a droit à la vie, à la liberté et à la sûreté de sa personne.",
    "Todo individuo tiene derecho a la vida, a la libertad y a la seguridad de su persona.",
    "Ogni individuo ha diritto alla vita, alla libertà ed alla sicurezza della propria persona.",
    "Todo indivíduo tem direito à vida, à liberdade e à segurança pessoal.",
    "Каждый человек имеет право на жизнь, на свободу и на личную неприкосновенность.",
    "لكل فرد الحق في الحياة والحرية وفي الأمان على شخصه.",
    "すべて人は、生命、自由及び身体の安全に対する権利を有する。",
    "모든 사람은 생명과 신체의 자유와 안전에 대한 권리를 가진다.",
    "人人有权享有生命、自由和人身安全。",
    "人人有權享有生命、自由和人身安全。",
};
static const char *WORDS[] = {"liberty", "Freiheit", "liberté", "libertad", "libertà", "liberdade",
                              "свобода", "الحرية", "自由", "자유", "安全", "權利"};

static void run(const char *name, const xl_langid *m, xl_langid_ws *ws, const char **lines, size_t n_lines,
                double seconds)
{
    xl_langid_result r;
    xl_error err;
    size_t count = 0, bytes = 0;
    double t0 = xl_time_now(), t;
    do {
        for (size_t i = 0; i < n_lines; i++) {
            size_t len = strlen(lines[i]);
            if (xl_langid_classify(m, ws, lines[i], len, 0.5, &r, 1, &err) != 1) {
                fprintf(stderr, "bench_langid: %s\n", err.msg);
                exit(1);
            }
            bytes += len;
        }
        count += n_lines;
        t = xl_time_now() - t0;
    } while (t < seconds);
    printf("%-10s %10.0f lines/s  %7.2f MB/s  (%zu lines, %.2f s)\n", name, (double)count / t,
           (double)bytes / t / 1e6, count, t);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "weights/langid/langid.xlid";
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    if (!(seconds > 0)) seconds = 1.0;
    xl_langid *m;
    xl_error err;
    if (xl_langid_load(path, &m, &err) < 0) {
        printf("bench_langid: skipped (%s)\n", err.msg);
        return 0;
    }
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    if (!ws) return 1;
    printf("bench_langid: %s, %zu languages, %zu features, 1 thread\n", path, xl_langid_n_langs(m),
           xl_langid_n_features(m));
    run("sentences", m, ws, SENTENCES, sizeof SENTENCES / sizeof SENTENCES[0], seconds);
    run("words", m, ws, WORDS, sizeof WORDS / sizeof WORDS[0], seconds);
    printf("command: %s %s %.1f\n", argv[0], path, seconds);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
    return 0;
}
