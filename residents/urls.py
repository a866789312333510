from django.urls import path

from residents import views

app_name = "residents"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("me/", views.my_profile, name="my_profile"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/data/download/", views.my_data_download, name="my_data_download"),
    path("me/data-uses/", views.data_uses, name="data_uses"),
    path("me/corrections/", views.my_corrections, name="my_corrections"),
    path("me/consents/", views.my_consents, name="my_consents"),
    path("me/delete/", views.account_delete_view, name="account_delete"),
    path("me/verification/", views.my_verification, name="my_verification"),
    path("verifications/", views.verification_queue, name="verification_queue"),
    path("verifications/<uuid:public_id>/", views.verification_detail, name="verification_detail"),
    path("corrections/", views.correction_queue, name="correction_queue"),
    path("corrections/<uuid:public_id>/", views.correction_detail, name="correction_detail"),
    path("register/", views.register_move_in, name="register_move_in"),
    path("conflicts/", views.register_conflicts, name="register_conflicts"),
    path("conflicts/<uuid:public_id>/", views.register_conflict_decide, name="register_conflict_decide"),
    path("households/<uuid:public_id>/add/", views.household_add_resident, name="household_add_resident"),
    path("<uuid:public_id>/", views.resident_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.resident_edit, name="edit"),
    path("<uuid:public_id>/move-out/", views.resident_move_out_view, name="move_out"),
    path("<uuid:public_id>/household-move-out/", views.household_move_out_view, name="household_move_out"),
    path("<uuid:public_id>/death/", views.resident_death_view, name="death"),
    path("<uuid:public_id>/end-undo/", views.resident_end_undo_view, name="end_undo"),
    path("<uuid:public_id>/reveal/", views.resident_reveal, name="reveal"),
    path("<uuid:public_id>/end-verification/", views.resident_verification_end, name="verification_end"),
]
