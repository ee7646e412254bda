/* test_langid.c - language identification (src/langid/langid.h): training a
 * small model end to end, the strict loader on corrupted files, bad input
 * text, calibration arithmetic, and the shipped model on held-out sentences. */
#define _POSIX_C_SOURCE 200809L
#include "xl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>

#include "langid.h"
#include "xl_io.h"

#define SHIPPED_MODEL "weights/langid/langid.xlid"

static const char *TRAIN =
    "en\tthe quick brown fox jumps over the lazy dog and the cat\n"
    "en\tall human beings are born free and equal in dignity and rights\n"
    "en\tthey are endowed with reason and conscience and should act towards one another\n"
    "en\teveryone has the right to life liberty and security of person\n"
    "de\talle menschen sind frei und gleich an wuerde und rechten geboren\n"
    "de\tsie sind mit vernunft und gewissen begabt und sollen einander im geist der bruederlichkeit begegnen\n"
    "de\tjeder hat das recht auf leben freiheit und sicherheit der person\n"
    "de\tder schnelle braune fuchs springt ueber den faulen hund\n"
    "fr\ttous les etres humains naissent libres et egaux en dignite et en droits\n"
    "fr\tils sont doues de raison et de conscience et doivent agir les uns envers les autres\n"
    "fr\ttout individu a droit a la vie a la liberte et a la surete de sa personne\n"
    "fr\tle renard brun rapide saute par dessus le chien paresseux\n"
    "ru\tвсе люди рождаются свободными и равными в своем достоинстве и правах\n"
    "ru\tони наделены разумом и совестью и должны поступать в отношении друг друга\n"
    "ru\tкаждый человек имеет право на жизнь на свободу и на личную неприкосновенность\n";

static const char *DEV = "en\tthe rights of the person\nde\tdie rechte der person\nfr\tles droits de la personne\n"
                         "ru\tправа человека\nen\tfree and equal\nde\tfrei und gleich\nfr\tlibres et egaux\n";

static char model_path[512];

static int setup_model(void **state)
{
    (void)state;
    char train_path[512], dev_path[512];
    snprintf(train_path, sizeof train_path, "%s", xl_test_write_tmp("langid_train", TRAIN, strlen(TRAIN)));
    snprintf(dev_path, sizeof dev_path, "%s", xl_test_write_tmp("langid_dev", DEV, strlen(DEV)));
    snprintf(model_path, sizeof model_path, "%s", xl_test_tmp_path("langid_model"));
    xl_langid_train_options o;
    xl_langid_train_defaults(&o);
    o.n_features = 2000;
    o.dev_path = dev_path;
    xl_error err;
    int rc = xl_langid_train(train_path, model_path, &o, &err);
    if (rc != 0) print_error("%s\n", err.msg);
    remove(train_path);
    remove(dev_path);
    return rc;
}

static int teardown_model(void **state)
{
    (void)state;
    remove(model_path);
    return 0;
}

static const char *classify1(const xl_langid *m, xl_langid_ws *ws, const char *text, double *prob)
{
    xl_langid_result r;
    xl_error err;
    size_t n = xl_langid_classify(m, ws, text, strlen(text), 0.0, &r, 1, &err);
    assert_int_equal(n, 1);
    if (prob) *prob = r.prob;
    return r.lang == XL_LANGID_UND ? "und" : xl_langid_lang(m, (size_t)r.lang);
}

static void test_train_and_classify(void **state)
{
    (void)state;
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    assert_int_equal(xl_langid_n_langs(m), 4);
    assert_int_equal(xl_langid_max_order(m), 5);
    assert_int_equal(xl_langid_lang_index(m, "ru"), 3);
    assert_int_equal(xl_langid_lang_index(m, "xx"), -1);
    assert_null(xl_langid_lang(m, 4));
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    double p;
    assert_string_equal(classify1(m, ws, "the dog is free and has the right", &p), "en");
    assert_string_equal(classify1(m, ws, "der hund ist frei und hat das recht", &p), "de");
    assert_string_equal(classify1(m, ws, "le chien est libre et a le droit", &p), "fr");
    assert_string_equal(classify1(m, ws, "ПРАВО НА ЖИЗНЬ", &p), "ru"); /* case folded */
    assert_true(p > 0.5 && p <= 1.0);
    /* no letters: und with probability 0 */
    assert_string_equal(classify1(m, ws, "", &p), "und");
    assert_true(p == 0.0);
    assert_string_equal(classify1(m, ws, "12345 !!! ...", &p), "und");
    /* top-k: sorted, probabilities sum to <= 1 and all four sum to 1 */
    xl_langid_result top[8];
    size_t k = xl_langid_classify(m, ws, "liberty", 7, 0.0, top, 8, &err);
    assert_int_equal(k, 4);
    double sum = 0;
    for (size_t i = 0; i < k; i++) {
        if (i) assert_true(top[i].prob <= top[i - 1].prob);
        sum += top[i].prob;
    }
    assert_close(sum, 1.0, 1e-9);
    /* min_prob above the best probability -> und, probability kept */
    k = xl_langid_classify(m, ws, "a", 1, 0.999999, top, 1, &err);
    assert_int_equal(top[0].lang, XL_LANGID_UND);
    assert_true(top[0].prob > 0);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
}

/* Domain classes: "de_2" is a second class of German (docs/langid.md, "Domain classes"): the model
 * reports 3 languages, never the class tag; German text of either domain is "de", and a dev line
 * labelled "de" calibrates against the language, whichever class wins. */
static void test_domain_classes(void **state)
{
    (void)state;
    static const char *train =
        "en\tthe quick brown fox jumps over the lazy dog and the cat\n"
        "en\tall human beings are born free and equal in dignity and rights\n"
        "en\topen the file and save the document to the folder\n"
        "de\talle menschen sind frei und gleich an wuerde und rechten geboren\n"
        "de\tder schnelle braune fuchs springt ueber den faulen hund\n"
        "de_2\tdatei oeffnen und das dokument im ordner speichern\n"
        "de_2\teinstellungen der anwendung werden gespeichert\n"
        "fr\ttous les etres humains naissent libres et egaux en dignite et en droits\n"
        "fr\touvrir le fichier et enregistrer le document dans le dossier\n";
    static const char *dev = "de\tdokument speichern\nde\tfrei und gleich\nen\tsave the file\nfr\tle dossier\n";
    char train_path[512], dev_path[512], out[512];
    snprintf(train_path, sizeof train_path, "%s", xl_test_write_tmp("langid_dc_train", train, strlen(train)));
    snprintf(dev_path, sizeof dev_path, "%s", xl_test_write_tmp("langid_dc_dev", dev, strlen(dev)));
    snprintf(out, sizeof out, "%s", xl_test_tmp_path("langid_dc_model"));
    xl_langid_train_options o;
    xl_langid_train_defaults(&o);
    o.n_features = 2000;
    o.dev_path = dev_path;
    xl_error err;
    assert_int_equal(xl_langid_train(train_path, out, &o, &err), 0);
    xl_langid *m;
    assert_int_equal(xl_langid_load(out, &m, &err), 0);
    assert_int_equal(xl_langid_n_langs(m), 3);
    assert_string_equal(xl_langid_lang(m, 0), "en");
    assert_string_equal(xl_langid_lang(m, 1), "de");
    assert_string_equal(xl_langid_lang(m, 2), "fr");
    assert_null(xl_langid_lang(m, 3));
    assert_int_equal(xl_langid_lang_index(m, "de_2"), -1);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    assert_string_equal(classify1(m, ws, "dokument im ordner speichern", NULL), "de");
    assert_string_equal(classify1(m, ws, "der hund ist frei", NULL), "de");
    assert_string_equal(classify1(m, ws, "le document dans le dossier", NULL), "fr");
    /* the language's score is the larger of its two classes' scores, and the probabilities of the
     * 3 languages sum to 1 */
    xl_langid_result top[3];
    assert_int_equal(xl_langid_classify(m, ws, "speichern", 9, 0.0, top, 3, &err), 3);
    assert_close(top[0].prob + top[1].prob + top[2].prob, 1.0, 1e-9);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
    remove(train_path);
    remove(dev_path);
    remove(out);
}

/* --neighbour-features: with a budget too small for the mean-contrast ranking to reach the few
 * n-grams that tell two close languages apart ("aa" writes "colour", "bb" "color"; both share the
 * rest), the ranking against the closest other language picks them, and the two are told apart. */
static void test_neighbour_features(void **state)
{
    (void)state;
    char train[8192] = "", line[512];
    static const char *const rest[] = {"the cat and the dog and the bird sat on the mat by the door",
                                       "the man and the woman and the child ran in the park by the sea",
                                       "the sun and the moon and the stars shine on the town by the hill"};
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof line, "aa\t%s colour\nbb\t%s color\n", rest[i], rest[i]);
        strcat(train, line);
    }
    /* eight distant languages: the mean over the others makes every aa/bb n-gram look distinctive */
    static const char *const far[] = {"cc\tqqq", "dd\tzzz", "ee\tjjj", "ff\tkkk", "gg\txxx", "hh\tvvv", "ii\twww",
                                      "jj\tppp"};
    for (int i = 0; i < 8; i++) {
        snprintf(line, sizeof line, "%s %s %s\n", far[i], far[i] + 3, far[i] + 3);
        strcat(train, line);
    }
    char train_path[512], out[512];
    snprintf(train_path, sizeof train_path, "%s", xl_test_write_tmp("langid_nf_train", train, strlen(train)));
    snprintf(out, sizeof out, "%s", xl_test_tmp_path("langid_nf_model"));
    const char *got[2][2];
    for (int on = 0; on < 2; on++) {
        xl_langid_train_options o;
        xl_langid_train_defaults(&o);
        o.n_features = 36; /* the single characters, then a handful of n-grams */
        o.neighbour_features = on;
        xl_error err;
        assert_int_equal(xl_langid_train(train_path, out, &o, &err), 0);
        xl_langid *m;
        assert_int_equal(xl_langid_load(out, &m, &err), 0);
        xl_langid_ws *ws = xl_langid_ws_new(m, &err);
        assert_non_null(ws);
        /* tags are static strings of the test: compare by value after freeing the model */
        got[on][0] = strcmp(classify1(m, ws, "the colour", NULL), "aa") == 0 ? "aa" : "other";
        got[on][1] = strcmp(classify1(m, ws, "the color", NULL), "bb") == 0 ? "bb" : "other";
        xl_langid_ws_free(ws);
        xl_langid_free(m);
    }
    /* off: the budget goes to n-grams aa and bb share, and "color" (no n-gram of its own) is not bb */
    assert_string_equal(got[0][1], "other");
    assert_string_equal(got[1][0], "aa");
    assert_string_equal(got[1][1], "bb");
    remove(train_path);
    remove(out);
}

/* The perceptron step (--refine-epochs): on a text the model gives to another language, each step
 * moves one quantum per n-gram occurrence from the best rival to the true class until the true class
 * leads by more than the margin; after that the step changes nothing. */
static void test_perceptron_step(void **state)
{
    (void)state;
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    assert_int_equal(xl_langid_n_classes(m), 4);
    int de = xl_langid_class_index(m, "de"), en = xl_langid_lang_index(m, "en");
    assert_true(de >= 0 && en >= 0);
    assert_int_equal(xl_langid_class_index(m, "xx"), -1);
    const char *text = "the rights of the person";
    assert_string_equal(classify1(m, ws, text, NULL), "en");
    size_t table = xl_langid_n_features(m) * xl_langid_n_classes(m);
    unsigned char *before = malloc(table);
    assert_non_null(before);
    memcpy(before, xl_langid_weights(m), table);
    bool updated = false;
    int steps = 0;
    for (; steps < 1000; steps++) {
        assert_int_equal(
            xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 1, 0.0, &updated, &err), 0);
        if (!updated) break;
    }
    assert_true(steps > 0 && steps < 1000);
    assert_string_equal(classify1(m, ws, text, NULL), "de");
    /* the first step: +1 for de and -1 for en on the text's n-grams, nothing else */
    const unsigned char *after = xl_langid_weights(m);
    size_t C = xl_langid_n_classes(m), changed_other = 0, raised = 0;
    for (size_t i = 0; i < table; i++) {
        if (after[i] == before[i]) continue;
        if (i % C == (size_t)de) raised += after[i] > before[i];
        else if (i % C != (size_t)en) changed_other++;
    }
    assert_true(raised > 0);
    assert_int_equal(changed_other, 0);
    /* now de leads by > 2 nats: a further step changes no weight */
    memcpy(before, after, table);
    assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 1, 0.0, &updated, &err), 0);
    assert_false(updated);
    assert_memory_equal(before, xl_langid_weights(m), table);
    assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), 99, 2.0, 1, 0.0, &updated, &err), -1);
    free(before);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
}

/* --refine-steps K: a weight moves one quantum per K steps in the same direction (the fractions are
 * kept per weight); --refine-skip X: a text whose class trails by more than X nats per letter is left
 * alone. */
static void test_perceptron_rate_and_skip(void **state)
{
    (void)state;
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    int de = xl_langid_class_index(m, "de");
    const char *text = "the rights of the person";
    size_t table = xl_langid_n_features(m) * xl_langid_n_classes(m);
    unsigned char *before = malloc(table);
    assert_non_null(before);
    memcpy(before, xl_langid_weights(m), table);
    bool updated = false;
    /* de trails en by far on English text: a tiny skip threshold leaves it alone */
    assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 4, 1e-6, &updated, &err), 0);
    assert_false(updated);
    assert_memory_equal(before, xl_langid_weights(m), table);
    /* three steps at K = 4: updates, but no weight moves yet (an n-gram that occurs once per text) */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 4, 0.0, &updated, &err),
                         0);
        assert_true(updated);
    }
    /* n-grams that occur 4+ times in the text ("t", " the") may have moved already; the others not */
    size_t moved3 = 0;
    for (size_t i = 0; i < table; i++) moved3 += xl_langid_weights(m)[i] != before[i];
    /* the fourth step moves every weight whose n-gram occurs once per text */
    assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 4, 0.0, &updated, &err), 0);
    assert_true(updated);
    size_t moved4 = 0;
    for (size_t i = 0; i < table; i++) moved4 += xl_langid_weights(m)[i] != before[i];
    assert_true(moved4 > moved3);
    assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 0, 0.0, &updated, &err), -1);
    free(before);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
}

/* Training with refinement: a line the naive Bayes weights give to the wrong language is learnt, the
 * other languages' lines stay right, and a second run writes the same bytes. */
static void test_refine_training(void **state)
{
    (void)state;
    /* a "de" line made of the start of an English one: naive Bayes, whose weights follow the n-gram
     * frequencies, calls it English; the perceptron moves weight to what tells it from the English line
     * ("jumps" at the end of the line) */
    static const char *extra = "de\tthe quick brown fox jumps\n";
    char *fwd = malloc(strlen(TRAIN) + strlen(extra) + 1);
    assert_non_null(fwd);
    strcpy(fwd, TRAIN);
    strcat(fwd, extra);
    char p1[512], o1[512], o2[512];
    snprintf(p1, sizeof p1, "%s", xl_test_write_tmp("langid_rf_train1", fwd, strlen(fwd)));
    snprintf(o1, sizeof o1, "%s", xl_test_tmp_path("langid_rf_model1"));
    snprintf(o2, sizeof o2, "%s", xl_test_tmp_path("langid_rf_model2"));
    const char *got[2];
    for (int on = 0; on < 2; on++) {
        xl_langid_train_options o;
        xl_langid_train_defaults(&o);
        o.n_features = 2000;
        o.refine_epochs = on ? 5 : 0;
        xl_error err;
        assert_int_equal(xl_langid_train(p1, o1, &o, &err), 0);
        xl_langid *m;
        assert_int_equal(xl_langid_load(o1, &m, &err), 0);
        xl_langid_ws *ws = xl_langid_ws_new(m, &err);
        assert_non_null(ws);
        got[on] = strcmp(classify1(m, ws, "the quick brown fox jumps", NULL), "de") == 0 ? "de" : "other";
        /* the training lines of the other languages stay right */
        assert_string_equal(classify1(m, ws, "the quick brown fox jumps over the lazy dog and the cat", NULL), "en");
        assert_string_equal(classify1(m, ws, "everyone has the right to life liberty and security of person", NULL),
                            "en");
        assert_string_equal(classify1(m, ws, "jeder hat das recht auf leben freiheit und sicherheit der person",
                                      NULL),
                            "de");
        xl_langid_ws_free(ws);
        xl_langid_free(m);
        if (on) {
            assert_int_equal(xl_langid_train(p1, o2, &o, &err), 0);
            char *a, *b;
            size_t na, nb;
            assert_int_equal(xl_read_file(o1, (size_t)1 << 26, &a, &na, &err), 0);
            assert_int_equal(xl_read_file(o2, (size_t)1 << 26, &b, &nb, &err), 0);
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, na);
            free(a);
            free(b);
        }
    }
    assert_string_equal(got[0], "other");
    assert_string_equal(got[1], "de");
    free(fwd);
    remove(p1);
    remove(o1);
    remove(o2);
}

/* Averaged perceptron (--refine-average; Collins 2002): on a 3-example toy set the average the model
 * reports equals the mean of the weights after each of the 3 steps, computed here from snapshots
 * (learning rate 1, so the weights are the quanta); applying it sets every weight to that mean rounded.
 * At K = 2 a weight whose n-gram occurs once and that moved one quantum in two updates had the values
 * q0 + 1/2 and q0 + 1: average q0 + 3/4. */
static void test_perceptron_average(void **state)
{
    (void)state;
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    size_t table = xl_langid_n_features(m) * xl_langid_n_classes(m);
    double *avg = malloc(table * sizeof *avg), *mean = calloc(table, sizeof *mean);
    assert_non_null(avg);
    assert_non_null(mean);
    /* before any step the "average" would be undefined: it is the current weights */
    assert_int_equal(xl_langid_perceptron_average(m, avg, &err), -1);
    assert_int_equal(xl_langid_perceptron_average_begin(m, &err), 0);
    assert_int_equal(xl_langid_perceptron_average(m, avg, &err), 0);
    for (size_t i = 0; i < table; i++) assert_true(avg[i] == (double)xl_langid_weights(m)[i]);
    /* three examples, each given the wrong label, so that each step updates */
    static const struct {
        const char *text, *gold;
    } toy[3] = {{"the rights of the person", "de"}, {"le chien est libre", "en"}, {"die rechte der person", "fr"}};
    size_t updates = 0;
    for (int k = 0; k < 3; k++) {
        bool updated = false;
        int c = xl_langid_class_index(m, toy[k].gold);
        assert_true(c >= 0);
        assert_int_equal(xl_langid_perceptron_step(m, ws, toy[k].text, strlen(toy[k].text), (size_t)c, 2.0, 1, 0.0,
                                                   &updated, &err),
                         0);
        updates += updated;
        for (size_t i = 0; i < table; i++) mean[i] += xl_langid_weights(m)[i] / 3.0;
    }
    assert_int_equal(updates, 3);
    assert_int_equal(xl_langid_perceptron_average_steps(m), 3);
    assert_int_equal(xl_langid_perceptron_average(m, avg, &err), 0);
    assert_allclose_f64(avg, mean, table, 1e-9, 0.0);
    /* the average differs from the last weights somewhere (else the test would prove nothing) */
    size_t differ = 0;
    for (size_t i = 0; i < table; i++) differ += fabs(avg[i] - xl_langid_weights(m)[i]) > 0.1;
    assert_true(differ > 0);
    assert_int_equal(xl_langid_perceptron_average_apply(m, &err), 0);
    for (size_t i = 0; i < table; i++) assert_int_equal(xl_langid_weights(m)[i], (int)floor(mean[i] + 0.5));
    assert_int_equal(xl_langid_perceptron_average_steps(m), 0);
    xl_langid_ws_free(ws);
    xl_langid_free(m);

    /* K = 2: two updates of the same text */
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    unsigned char *before = malloc(table);
    assert_non_null(before);
    memcpy(before, xl_langid_weights(m), table);
    int de = xl_langid_class_index(m, "de");
    const char *text = "the rights of the person";
    assert_int_equal(xl_langid_perceptron_average_begin(m, &err), 0);
    for (int k = 0; k < 2; k++) {
        bool updated = false;
        assert_int_equal(
            xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 2, 0.0, &updated, &err), 0);
        assert_true(updated);
    }
    /* K may not change while averaging */
    bool updated;
    assert_int_equal(xl_langid_perceptron_step(m, ws, text, strlen(text), (size_t)de, 2.0, 3, 0.0, &updated, &err),
                     -1);
    assert_int_equal(xl_langid_perceptron_average(m, avg, &err), 0);
    size_t C = xl_langid_n_classes(m), checked = 0;
    for (size_t i = 0; i < table; i++) {
        int d = (int)xl_langid_weights(m)[i] - (int)before[i];
        if (i % C != (size_t)de || d != 1 || before[i] < 5 || before[i] > 250) continue;
        assert_close(avg[i], before[i] + 0.75, 1e-12);
        checked++;
    }
    assert_true(checked > 10);
    free(before);
    free(avg);
    free(mean);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
}

/* --filter-model: training with a filter model drops exactly the lines it gives to another language
 * with probability > P: the result is byte-identical to training on the file without those lines.
 * Lines of a language the filter model does not know are kept. */
static void test_filter_model(void **state)
{
    (void)state;
    static const char *noise = "de\tthe dog has the right to life and liberty and security\n"  /* English as de */
                               "fr\tall dogs are born free and equal in rights\n"              /* English as fr */
                               "xx\tthe cat has the right to life and liberty and security\n"  /* unknown: kept */
                               "xx\tzzq zzq qqz the cat and the dog qqz zzq\n";
    static const char *kept = "xx\tthe cat has the right to life and liberty and security\n"
                              "xx\tzzq zzq qqz the cat and the dog qqz zzq\n";
    /* the filter model calls the two mislabelled lines English with p > 0.5 */
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    assert_non_null(ws);
    double p1, p2;
    assert_string_equal(classify1(m, ws, "the dog has the right to life and liberty and security", &p1), "en");
    assert_string_equal(classify1(m, ws, "all dogs are born free and equal in rights", &p2), "en");
    assert_true(p1 > 0.5 && p2 > 0.5);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
    size_t nt = strlen(TRAIN);
    char *full = malloc(nt + strlen(noise) + 1), *clean = malloc(nt + strlen(kept) + 1);
    assert_non_null(full);
    assert_non_null(clean);
    strcpy(full, TRAIN);
    strcat(full, noise);
    strcpy(clean, TRAIN);
    strcat(clean, kept);
    char pf[512], pc[512], of[512], oc[512], on[512];
    snprintf(pf, sizeof pf, "%s", xl_test_write_tmp("langid_flt_full", full, strlen(full)));
    snprintf(pc, sizeof pc, "%s", xl_test_write_tmp("langid_flt_clean", clean, strlen(clean)));
    snprintf(of, sizeof of, "%s", xl_test_tmp_path("langid_flt_filtered"));
    snprintf(oc, sizeof oc, "%s", xl_test_tmp_path("langid_flt_cleanmodel"));
    snprintf(on, sizeof on, "%s", xl_test_tmp_path("langid_flt_nofilter"));
    xl_langid_train_options o;
    xl_langid_train_defaults(&o);
    o.n_features = 2000;
    assert_int_equal(xl_langid_train(pc, oc, &o, &err), 0);
    assert_int_equal(xl_langid_train(pf, on, &o, &err), 0);
    o.filter_model_path = model_path;
    o.filter_prob = 0.5;
    assert_int_equal(xl_langid_train(pf, of, &o, &err), 0);
    char *a, *b, *c;
    size_t na, nb, nc;
    assert_int_equal(xl_read_file(of, (size_t)1 << 26, &a, &na, &err), 0);
    assert_int_equal(xl_read_file(oc, (size_t)1 << 26, &b, &nb, &err), 0);
    assert_int_equal(xl_read_file(on, (size_t)1 << 26, &c, &nc, &err), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    assert_true(nc != na || memcmp(a, c, na) != 0); /* the noise lines do change an unfiltered model */
    /* a missing filter model and a bad probability are errors */
    o.filter_model_path = "/nonexistent/model.xlid";
    assert_int_equal(xl_langid_train(pf, of, &o, &err), -1);
    o.filter_model_path = model_path;
    o.filter_prob = 1.5;
    assert_int_equal(xl_langid_train(pf, of, &o, &err), -1);
    free(a);
    free(b);
    free(c);
    free(full);
    free(clean);
    remove(pf);
    remove(pc);
    remove(of);
    remove(oc);
    remove(on);
}

static void test_bad_text(void **state)
{
    (void)state;
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(model_path, &m, &err), 0);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    double p;
    /* ill-formed UTF-8 is repaired, never an error */
    const char *bad = "\xff\xfe the \xc3 right \xed\xa0\x80 of the person \xf4\x90\x80\x80";
    assert_string_equal(classify1(m, ws, bad, &p), "en");
    /* embedded NUL */
    xl_langid_result r;
    assert_int_equal(xl_langid_classify(m, ws, "the\0right", 9, 0.0, &r, 1, &err), 1);
    /* a 1 MB line */
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    assert_non_null(big);
    const char *pat = "und das recht der person ";
    for (size_t i = 0; i < n; i++) big[i] = pat[i % strlen(pat)];
    big[n] = '\0';
    assert_string_equal(classify1(m, ws, big, &p), "de");
    assert_true(p > 0.99);
    free(big);
    xl_langid_ws_free(ws);
    xl_langid_free(m);
}

static void test_softmax(void **state)
{
    (void)state;
    double s[3] = {-1000.0, -1001.0, -2000.0}, p[3];
    xl_langid_softmax(s, 3, 1.0, p);
    assert_close(p[0], 1.0 / (1.0 + exp(-1.0)), 1e-12);
    assert_close(p[0] + p[1] + p[2], 1.0, 1e-12);
    xl_langid_softmax(s, 3, 1000.0, p); /* high temperature flattens */
    assert_true(p[0] < 0.5 && p[2] > 0.1);
}

static void test_training_errors(void **state)
{
    (void)state;
    xl_error err;
    const char *out = xl_test_tmp_path("langid_bad_model");
    const char *one = xl_test_write_tmp("langid_one", "en\tonly one language\n", 20);
    assert_int_equal(xl_langid_train(one, out, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "at least 2 languages"));
    const char *notab = xl_test_write_tmp("langid_notab", "en text without tab\n", 19);
    assert_int_equal(xl_langid_train(notab, out, NULL, &err), -1);
    assert_non_null(strstr(err.msg, ":1: expected 'lang<TAB>text'"));
    const char *badtag = xl_test_write_tmp("langid_badtag", "e n\tx\n", 6);
    assert_int_equal(xl_langid_train(badtag, out, NULL, &err), -1);
    const char *empty = xl_test_write_tmp("langid_empty", "", 0);
    assert_int_equal(xl_langid_train(empty, out, NULL, &err), -1);
    assert_int_equal(xl_langid_train("/nonexistent/train.tsv", out, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/train.tsv"));
    remove(one);
    remove(notab);
    remove(badtag);
    remove(empty);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t fnv(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* expect the loader to fail on data[0..n) with a message containing `what` */
static void expect_load_error(const unsigned char *data, size_t n, const char *what)
{
    xl_langid *m = NULL;
    xl_error err;
    xl_error_clear(&err);
    assert_int_equal(xl_langid_load_memory(data, n, "m.xlid", &m, &err), -1);
    assert_null(m);
    if (!strstr(err.msg, what)) fail_msg("error '%s' does not mention '%s'", err.msg, what);
}

static void test_loader_rejects(void **state)
{
    (void)state;
    char *data;
    size_t n;
    xl_error err;
    assert_int_equal(xl_read_file(model_path, 0, &data, &n, &err), 0);
    unsigned char *d = malloc(n);
    assert_non_null(d);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < n; cut += (cut < 256 ? 1 : 97)) {
        xl_langid *m = NULL;
        assert_int_equal(xl_langid_load_memory(data, cut, "m.xlid", &m, &err), -1);
        assert_null(m);
    }
    memcpy(d, data, n);
    d[0] = 'Y';
    expect_load_error(d, n, "bad magic");
    memcpy(d, data, n);
    put32(d + 8, 2);
    expect_load_error(d, n, "version 2");
    memcpy(d, data, n);
    put32(d + 12, 0);
    expect_load_error(d, n, "language count");
    memcpy(d, data, n);
    put32(d + 16, 0xFFFFFFFFu);
    expect_load_error(d, n, "feature count");
    memcpy(d, data, n);
    put32(d + 16, 1999); /* plausible count, wrong size */
    expect_load_error(d, n, "header implies");
    memcpy(d, data, n);
    d[n / 2] ^= 0x55; /* payload corruption */
    expect_load_error(d, n, "checksum");
    /* semantic checks behind a valid checksum: unsorted keys, bad tag */
    memcpy(d, data, n);
    uint32_t L = 4, S = d[24], B = d[28], F = d[16] | (uint32_t)d[17] << 8;
    size_t keys = 48 + L * 16 + S * 4 + L * (S + 1) * 4 + B * 8;
    memcpy(d + keys, d + keys + 4, 4); /* key[0] = key[1] */
    put32(d + n - 4, fnv(d, n - 4));
    expect_load_error(d, n, "ascending");
    memcpy(d, data, n);
    d[48] = ' '; /* tag "en" -> " n" */
    put32(d + n - 4, fnv(d, n - 4));
    expect_load_error(d, n, "invalid tag");
    memcpy(d, data, n);
    put32(d + keys - 4, 0); /* last temperature 0 */
    put32(d + n - 4, fnv(d, n - 4));
    expect_load_error(d, n, "temperature");
    (void)F;
    /* random byte flips with a repaired checksum never crash (ASan checks reads) */
    for (size_t i = 0; i < 2000; i++) {
        memcpy(d, data, n);
        size_t at = (i * 2654435761u) % (n - 4);
        d[at] ^= (unsigned char)(1u + i % 255);
        put32(d + n - 4, fnv(d, n - 4));
        xl_langid *m = NULL;
        if (xl_langid_load_memory(d, n, "m.xlid", &m, &err) == 0) {
            xl_langid_ws *ws = xl_langid_ws_new(m, &err);
            xl_langid_result r[2];
            assert_true(xl_langid_classify(m, ws, "the right of the person", 23, 0, r, 2, &err) >= 1);
            xl_langid_ws_free(ws);
            xl_langid_free(m);
        }
    }
    assert_int_equal(xl_langid_load("/nonexistent.xlid", &(xl_langid *){NULL}, &err), -1);
    free(d);
    free(data);
}

/* The shipped model: one sentence per core language, mostly UDHR article 3
 * (in the held-out test split of make_data.py), plus two other languages.
 * (pt article 3, "Todo indivíduo tem direito à vida...", goes to Galician,
 * and zh-Hant article 3, whose only traditional-only character is 權, to
 * zh-Hans: known confusions listed in docs/langid.md.) */
static void test_shipped_model(void **state)
{
    (void)state;
    FILE *f = fopen(SHIPPED_MODEL, "rb");
    if (!f) {
        print_message("[  SKIP    ] %s not found (run from the repository root)\n", SHIPPED_MODEL);
        skip();
    }
    fclose(f);
    xl_langid *m;
    xl_error err;
    assert_int_equal(xl_langid_load(SHIPPED_MODEL, &m, &err), 0);
    assert_true(xl_langid_n_langs(m) >= 60);
    xl_langid_ws *ws = xl_langid_ws_new(m, &err);
    static const char *cases[][2] = {
        {"en", "Everyone has the right to life, liberty and security of person."},
        {"de", "Jeder hat das Recht auf Leben, Freiheit und Sicherheit der Person."},
        {"fr", "Tout individu a droit à la vie, à la liberté et à la sûreté de sa personne."},
        {"es", "Todo individuo tiene derecho a la vida, a la libertad y a la seguridad de su persona."},
        {"it", "Ogni individuo ha diritto alla vita, alla libertà ed alla sicurezza della propria persona."},
        {"pt", "A liberdade de expressão é um direito fundamental de todos os cidadãos."},
        {"ru", "Каждый человек имеет право на жизнь, на свободу и на личную неприкосновенность."},
        {"ar", "لكل فرد الحق في الحياة والحرية وفي الأمان على شخصه."},
        {"ja", "すべて人は、生命、自由及び身体の安全に対する権利を有する。"},
        {"ko", "모든 사람은 생명과 신체의 자유와 안전에 대한 권리를 가진다."},
        {"zh-Hans", "人人有权享有生命、自由和人身安全。"},
        {"zh-Hant", "這個檔案無法開啟，請檢查您的權限與網路設定。"},
        {"uk", "Кожна людина має право на життя, на свободу і на особисту недоторканність."},
        {"nl", "Een ieder heeft recht op leven, vrijheid en onschendbaarheid van zijn persoon."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double p;
        const char *got = classify1(m, ws, cases[i][1], &p);
        if (strcmp(got, cases[i][0]) != 0) fail_msg("'%s': expected %s, got %s (%.3f)", cases[i][1], cases[i][0], got, p);
        assert_true(p > 0.5);
    }
    xl_langid_ws_free(ws);
    xl_langid_free(m);
}

/* `xlrec langid` through the binary ($XLREC_BIN, set by `make test`): output
 * format and exit codes. */
static void test_cli(void **state)
{
    (void)state;
    const char *bin = xl_test_bin_or_skip();
    const char *in = xl_test_write_tmp("langid_cli_in", "the right of the person\n\n123\n", 29);
    char cmd[2048], out[512] = {0};
    snprintf(cmd, sizeof cmd, "%s langid --model %s --top 2 --min-confidence 0 %s", bin, model_path, in);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    int st = pclose(p);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    out[n] = '\0';
    /* "en<TAB>p<TAB>xx<TAB>p" then two und lines */
    assert_true(strncmp(out, "en\t", 3) == 0);
    assert_non_null(strstr(out, "\nund\t0.0000\nund\t0.0000\n"));
    snprintf(cmd, sizeof cmd, "%s langid --model %s --top 0 %s >/dev/null 2>&1", bin, model_path, in);
    st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 2);
    snprintf(cmd, sizeof cmd, "%s langid --model /nonexistent.xlid %s >/dev/null 2>&1", bin, in);
    st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 1);
    snprintf(cmd, sizeof cmd, "%s langid-train %s >/dev/null 2>&1", bin, in); /* --out missing */
    st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 2);
    remove(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_and_classify), cmocka_unit_test(test_bad_text),
        cmocka_unit_test(test_softmax),            cmocka_unit_test(test_training_errors),
        cmocka_unit_test(test_loader_rejects),     cmocka_unit_test(test_shipped_model),
        cmocka_unit_test(test_cli),                cmocka_unit_test(test_domain_classes),
        cmocka_unit_test(test_neighbour_features), cmocka_unit_test(test_perceptron_step),
        cmocka_unit_test(test_perceptron_rate_and_skip),
        cmocka_unit_test(test_refine_training),
        cmocka_unit_test(test_perceptron_average),
        cmocka_unit_test(test_filter_model),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
