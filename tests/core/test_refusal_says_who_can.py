"""Issue 13: a person who cannot take the next step is told who can (the practice's administrators), and
someone with no role in the practice learns nobody's name from the refusal."""

from django.urls import reverse


def test_a_member_refused_a_step_is_told_which_administrators_can_take_it(world, client_for):
    response = client_for(world.bob).get(reverse("integrations", args=["cascade"]))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'Who can: Alice Admin (<a href="mailto:alice@cascade.example">alice@cascade.example</a>), administrator ' \
           "of this practice." in html


def test_a_login_with_no_role_in_the_practice_is_told_no_names(world, client_for):
    response = client_for(world.oscar).get(reverse("integrations", args=["cascade"]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Who can" not in html and "Alice" not in html
