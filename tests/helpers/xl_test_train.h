/* xl_test_train.h - what the encoder-training suites (test_backprop, test_train) share about the
 * committed fixture tests/fixtures/train_tiny (made by tests/tools/make_train_fixture.py).
 *
 * Contract
 *   - XL_TRAIN_FIXTURE_DIR is the fixture folder, relative to the repository root (where make test runs).
 *   - xl_test_fixture_to_layout copies the fixture's flat float array src (the tensors in the order of
 *     its tensors.txt, "name d0 [d1]" per line) into dst laid out as the parameter set p
 *     (dst[offset of tensor] = its values).  The test fails, naming the tensor, when a fixture tensor
 *     is not in p or has another shape, and when p has a trainable tensor the fixture lacks.
 */
#ifndef XL_TEST_TRAIN_H
#define XL_TEST_TRAIN_H

#include "bert_train.h"

#define XL_TRAIN_FIXTURE_DIR "tests/fixtures/train_tiny"

void xl_test_fixture_to_layout(const xl_bert_params *p, const float *src, float *dst);

#endif /* XL_TEST_TRAIN_H */
