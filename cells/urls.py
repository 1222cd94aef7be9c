from django.urls import path

from cells import views

app_name = "cells"
urlpatterns = [
    path("", views.my_cell, name="mine"),
    path("tree/", views.tree, name="tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/members/add/", views.member_add, name="member_add"),
    path("units/<int:pk>/members/import/", views.member_import, name="member_import"),
    path("units/<int:pk>/members/slips/", views.member_slips, name="member_slips"),
    path("memberships/<int:pk>/", views.membership_edit, name="membership"),
    path("memberships/<int:pk>/resend-invitation/", views.invitation_resend, name="invitation_resend"),
]
