from django.urls import path

from . import views

org_urlpatterns = [
    path("staff/", views.roster, name="roster"),
    path("staff/new/", views.staff_new, name="staff_new"),
    path("staff/import/", views.roster_upload, name="roster_upload"),
    path("staff/export.csv", views.roster_export, name="roster_export"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/leaver/", views.staff_leaver, name="staff_leaver"),
    path("enrollments/<int:pk>/administrators/", views.enrollment_administrators, name="enrollment_administrators"),
    path("enrollment-administrators/<int:pk>/remove/", views.enrollment_administrator_delete,
         name="enrollment_administrator_delete"),
]
