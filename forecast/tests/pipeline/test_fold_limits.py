"""make_folds' limits at their boundaries: at least one row per fold and 50 training rows before the
first test block, and a message that says which limit a series missed. Written against the mutants
that survived `make mutants` (docs/mutation.md)."""

import pytest

from pipelines.walkforward import make_folds


def test_exactly_one_row_per_fold_is_enough():
    # 200 rows, last 6 % tested: the test region starts at row 188; at h=2 rows 188..197 have a
    # target, 10 rows for 10 folds.
    folds = make_folds(200, 2, n_folds=10, test_fraction=0.06)
    assert [f.test_end - f.test_start for f in folds] == [1] * 10


def test_fewer_test_rows_than_folds_is_refused_even_with_a_long_training_window():
    # h=3 leaves rows 188..196: 9 rows for 10 folds, while 185 training rows are plenty.
    with pytest.raises(ValueError, match=r"^series too short for 10 folds at h=3 \(200 rows\)$"):
        make_folds(200, 3, n_folds=10, test_fraction=0.06)


def test_exactly_fifty_training_rows_before_the_first_test_block_is_enough():
    # 100 rows, last 40 % tested: the first test row is 60; at h=10 rows 0..49 train the first fold.
    assert make_folds(100, 10, n_folds=10)[0].train_end == 50


def test_fewer_than_fifty_training_rows_is_refused_even_with_enough_test_rows():
    with pytest.raises(ValueError, match=r"^series too short for 10 folds at h=11 \(100 rows\)$"):
        make_folds(100, 11, n_folds=10)
