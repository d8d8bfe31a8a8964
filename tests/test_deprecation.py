"""Renamed public names keep working for one release: the old name warns and returns the new object."""

import pytest

import fairshare as fs
from fairshare import optimization, simulation
from fairshare._deprecation import REMOVED_IN


@pytest.mark.parametrize("module,old,new", [
    (simulation, "Transition", simulation.RuleChange),
    (optimization, "Transition", optimization.TransitionPath),
    (optimization, "FeeLinkedCap", optimization.FakeDemandBound),
    (optimization, "STATUS_QUO", optimization.STATUS_QUO_WEIGHTS),
])
def test_old_names_warn_and_return_the_new_object(module, old, new):
    with pytest.warns(FutureWarning, match=rf"{module.__name__}\.{old} was renamed .*goes in fairshare {REMOVED_IN}"):
        assert getattr(module, old) is new


def test_from_import_of_an_old_name_warns():
    with pytest.warns(FutureWarning, match="RuleChange"):
        from fairshare.simulation import Transition
    assert Transition is simulation.RuleChange


def test_unknown_names_still_raise_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        simulation.NoSuchThing  # noqa: B018


def test_the_rule_and_the_constraint_are_different_names():
    assert fs.formulas.FeeLinkedCap is not optimization.FakeDemandBound
    assert isinstance(fs.formulas.STATUS_QUO, fs.formulas.Linear)
    assert optimization.STATUS_QUO_WEIGHTS == dict(fs.formulas.STATUS_QUO.weights)


def test_formula_error_is_a_value_error():
    assert issubclass(fs.errors.FormulaError, ValueError)
    with pytest.raises(ValueError, match="Capped share_cap"):
        fs.formulas.Capped(0)


def test_the_warning_points_at_the_users_line():
    with pytest.warns(FutureWarning) as record:
        from fairshare.simulation import Transition  # noqa: F401
    assert {w.filename for w in record} == {__file__}
