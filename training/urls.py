from django.urls import path

from . import views

org_urlpatterns = [
    path("training/", views.module_list, name="training_modules"),
    path("training/new/", views.module_new, name="training_module_new"),
    path("training/mine/", views.my_training, name="my_training"),
    path("training/<int:pk>/", views.module_detail, name="training_module"),
    path("training/<int:pk>/edit/", views.module_edit, name="training_module_edit"),
    path("training/<int:pk>/record/", views.completion_new, name="training_record"),
]
