from django.urls import path

from . import views

org_urlpatterns = [
    path("access/policy/", views.policy, name="access_policy"),
    path("access/matrix/", views.matrix, name="matrix"),
    path("access/accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("access/provision/", views.provision_start, name="provision_start"),
    path("access/provision/<int:pk>/", views.provision_plan, name="provision_plan"),
    path("access/tasks/", views.tasks, name="tasks"),
    path("access/tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("access/credentials/", views.credentials, name="credentials"),
    path("my/portal-accounts/", views.my_accounts, name="my_accounts"),
]
