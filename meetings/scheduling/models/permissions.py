"""django-guardian object permissions on meetings, with direct foreign keys.

Direct foreign keys (instead of guardian's generic rows) make the database delete a meeting's
grants together with the meeting, so an old grant can never attach to a new object
(docs/POLICY.md, security baseline), and let "My meetings" join them in one query.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class MeetingUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class MeetingGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
