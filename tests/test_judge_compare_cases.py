"""Every path of `compare`, checked as the whole RowComparison it returns (issue 26: the mutation check
found tests that read only `.match` or `.reason`). Each expectation is worked out by hand from the rules
in docs/ARCHITECTURE.md ("Comparing results"), not from the code."""

from __future__ import annotations

from harness.judge.compare import RowComparison, compare

SEVEN = [{"a": n} for n in range(1, 8)]  # more rows than the 5 a mismatch keeps as a sample


def test_two_empty_results_match_strictly_with_an_empty_mapping():
    assert compare([], []) == RowComparison(True, True, 1.0, "", mapping={})


def test_one_empty_side_keeps_a_sample_of_five_rows_of_the_other():
    assert compare([], SEVEN) == RowComparison(False, False, 0.0, "extra_rows", None, [], SEVEN[:5])
    assert compare(SEVEN, []) == RowComparison(False, False, 0.0, "missing_rows", None, SEVEN[:5], [])


def test_renamed_column_matches_by_content_but_not_strictly():
    result = compare([{"a": 1}, {"a": 2}], [{"x": 2}, {"x": 1}])
    assert result == RowComparison(True, False, 1.0, "", mapping={"a": "x"})


def test_same_names_match_strictly_and_ordered_golds_need_the_same_order():
    assert compare([{"a": 1}, {"a": 2}], [{"a": 2}, {"a": 1}]) == RowComparison(True, True, 1.0, "", {"a": "a"})
    assert compare([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 2}], ordered=True) == RowComparison(
        True, True, 1.0, "", {"a": "a"}
    )
    # the right rows in the wrong order: full row credit, but no match
    assert compare([{"a": 1}, {"a": 2}], [{"a": 2}, {"a": 1}], ordered=True) == RowComparison(
        False, False, 1.0, "order", {"a": "a"}
    )


def test_no_shared_value_is_a_columns_mismatch_unless_only_the_types_differ():
    assert compare([{"a": 1}], [{"b": 2}]) == RowComparison(False, False, 0.0, "columns", mapping={})
    assert compare([{"n": 3}], [{"n": "3"}]) == RowComparison(False, False, 0.0, "types", mapping={})


def test_partial_rows_name_what_is_missing_and_extra_with_f1():
    # 1 of 3 gold rows found among 2 generated: precision 1/2, recall 1/3, F1 = 2pr/(p+r) = 0.4
    result = compare([{"a": 1}, {"a": 2}, {"a": 3}], [{"a": 1}, {"a": 4}])
    assert result == RowComparison(
        False, False, 0.4, "missing_and_extra_rows", {"a": "a"}, [{"a": 2}, {"a": 3}], [{"a": 4}]
    )
    # 2 of 3 found, nothing extra: precision 1, recall 2/3, F1 = 0.8
    assert compare([{"a": 1}, {"a": 2}, {"a": 3}], [{"a": 1}, {"a": 2}]) == RowComparison(
        False, False, 0.8, "missing_rows", {"a": "a"}, [{"a": 3}], []
    )
    # 2 of 2 found among 3: precision 2/3, recall 1, F1 = 0.8
    assert compare([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 2}, {"a": 5}]) == RowComparison(
        False, False, 0.8, "extra_rows", {"a": "a"}, [], [{"a": 5}]
    )


def test_f1_is_rounded_to_six_places():
    # 1 of 2 gold rows among 4 generated: precision 1/4, recall 1/2, F1 = 1/3
    result = compare([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 7}, {"a": 8}, {"a": 9}])
    assert result.f1 == 0.333333 and result.reason == "missing_and_extra_rows"


def test_a_mismatch_keeps_at_most_five_missing_rows():
    result = compare(SEVEN, [{"a": 1}])
    # 1 of 7 found among 1: precision 1, recall 1/7, F1 = 2/8
    assert result == RowComparison(False, False, 0.25, "missing_rows", {"a": "a"}, SEVEN[1:6], [])


def test_values_equal_as_text_but_not_as_types_are_a_types_mismatch_with_partial_credit():
    # the 2s agree; 1 and "1" agree only as text: F1 1/2
    result = compare([{"a": 1}, {"a": 2}], [{"a": "1"}, {"a": 2}])
    assert result == RowComparison(False, False, 0.5, "types", {"a": "a"}, [{"a": 1}], [{"a": "1"}])


def test_list_cells_are_multisets_unless_list_order_is_kept():
    assert compare([{"l": [1, 2]}], [{"l": [2, 1]}]) == RowComparison(True, True, 1.0, "", {"l": "l"})
    assert compare([{"l": [1, 2]}], [{"l": [2, 1]}], ordered_lists=True) == RowComparison(
        False, False, 0.0, "columns", mapping={}
    )


def test_the_greedy_partial_mapping_takes_the_largest_overlap_first():
    gold = [{"a": 1, "b": 5}, {"a": 2, "b": 6}, {"a": 3, "b": 7}]
    # y shares 1, 2, 3 with a (three values), x shares only 5 with b: a -> y, b -> x
    generated = [{"x": 5, "y": 1}, {"x": 9, "y": 2}, {"x": 9, "y": 3}]
    result = compare(gold, generated)
    assert result.mapping == {"a": "y", "b": "x"} and result.reason == "missing_and_extra_rows"
    assert result.f1 == round(1 / 3, 6)  # one whole row of three agrees under that mapping
    # a small overlap taken first would pair a with y and leave b without a column
    gold = [{"a": 1, "b": 7}, {"a": 2, "b": 8}, {"a": 3, "b": 9}]
    generated = [{"x": 1, "y": 1}, {"x": 2, "y": 7}, {"x": 3, "y": 8}]  # a~x: 3 values, a~y: 1, b~y: 2
    result = compare(gold, generated)
    assert (result.mapping, result.reason, result.f1) == ({"a": "x", "b": "y"}, "missing_and_extra_rows", 0.0)


def test_rows_without_columns_compare_by_count():
    assert compare([{}], [{}]) == RowComparison(True, True, 1.0, "", mapping={})
    # one empty row of gold among two generated: precision 1/2, recall 1, F1 2/3; one row too many
    assert compare([{}], [{}, {}]) == RowComparison(False, False, 0.666667, "extra_rows", {}, [], [{}])
