"""An app server's own memory (goals_admin.memory): bounded, whatever it is asked to hold."""

from goals_admin.memory import ForgetfulDict


def test_a_forgetful_dict_never_holds_more_than_its_bound():
    remembered = ForgetfulDict(max_items=3)

    for n in range(10):
        remembered[f"caller-{n}"] = n
        assert len(remembered) <= 3

    assert remembered["caller-9"] == 9


def test_changing_what_it_holds_forgets_nothing():
    remembered = ForgetfulDict(max_items=2)
    remembered["a"], remembered["b"] = 1, 2

    remembered["a"] = 10

    assert remembered == {"a": 10, "b": 2}
