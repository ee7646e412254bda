/* xl_test_train.c - see xl_test_train.h */
#include "xl_test_train.h"

#include <stdio.h>
#include <string.h>

#include "xl_test.h"

void xl_test_fixture_to_layout(const xl_bert_params *p, const float *src, float *dst)
{
    FILE *f = fopen(XL_TRAIN_FIXTURE_DIR "/tensors.txt", "r");
    assert_non_null(f);
    char line[256];
    size_t pos = 0, n_seen = 0;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        unsigned long d0 = 0, d1 = 0;
        int got = sscanf(line, "%127s %lu %lu", name, &d0, &d1);
        assert_true(got >= 2);
        long t = xl_bert_params_find(p, name);
        if (t < 0) fail_msg("fixture tensor %s not in the parameter set", name);
        const xl_bert_param_info *ti = &p->info[t];
        assert_int_equal(ti->shape[0], d0);
        if (got == 3) assert_int_equal(ti->shape[1], d1);
        memcpy(dst + ti->offset, src + pos, ti->count * sizeof(float));
        pos += ti->count;
        n_seen++;
    }
    fclose(f);
    assert_int_equal(n_seen, p->n_tensors); /* every trainable tensor is in the fixture */
}
