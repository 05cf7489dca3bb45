"""The fast form renderer writes the very bytes Django's widget templates write."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from core.form_renderer import FastInputRenderer
from core.forms import IsoDateInput


class Everything(forms.Form):
    choice = forms.ChoiceField(choices=[("keep", "Keep"), ("a&b", 'Say "<b>"'), (3, "Three")], widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(choices=[("x", "X <1>"), ("y", mark_safe("<em>Y</em>"))],
                                     widget=forms.CheckboxSelectMultiple, required=False)
    text = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"class": "a\"b", "data-x": True,
                                                                        "hidden-thing": False}))
    day = forms.DateField(widget=IsoDateInput(), required=False)
    number = forms.IntegerField(required=False)
    email = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput(), required=False)
    flag = forms.BooleanField(required=False)
    upload = forms.FileField(required=False)
    pick = forms.ChoiceField(choices=[("1", "One")])  # a <select>: left to the templates


@pytest.mark.parametrize("data", [
    None,
    {"choice": "a&b", "many": ["x", "y"], "text": "<script>&", "day": "2026-01-02", "number": "1234567",
     "email": "a@b.example", "secret": 'p"w', "hidden": "h<", "flag": "on", "pick": "1"},
    {"choice": "3", "text": "", "day": "not a date", "number": "x"},
])
def test_every_widget_renders_the_same_bytes(data):
    initial = {"day": datetime.date(2026, 3, 4), "number": 12345}
    slow = Everything(data=data, initial=initial, prefix="i7", renderer=DjangoTemplates())
    fast = Everything(data=data, initial=initial, prefix="i7", renderer=FastInputRenderer())
    for name in slow.fields:
        assert str(fast[name]) == str(slow[name]), name
        for a, b in zip(fast[name], slow[name], strict=True) if name in ("choice", "many") else ():
            assert a.tag() == b.tag(), name
            assert a.tag(wrap_label=True) == b.tag(wrap_label=True), name
    assert fast.as_div() == slow.as_div()


def test_inputs_skip_the_templates(monkeypatch):
    renderer = FastInputRenderer()
    asked = []
    original = renderer.get_template
    monkeypatch.setattr(renderer, "get_template", lambda name: asked.append(name) or original(name))
    form = Everything(data={"choice": "keep", "many": ["x"], "text": "t"}, renderer=renderer)
    for name in ("choice", "many", "text", "day", "number", "flag"):
        str(form[name])
        for option in form[name] if name in ("choice", "many") else ():
            option.tag(wrap_label=True)
    assert not [n for n in asked if "input" in n or "option" in n], asked
