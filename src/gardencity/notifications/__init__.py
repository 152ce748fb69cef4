"""Notifications: reach the people who must act, and the residents who asked to hear.

* ``config`` — the rules as data (``notifications:`` in campaign.yaml): events → recipients →
  channels, quiet hours, batching, retries, the schedule, SMTP and the SMS template;
* ``outbox`` — :class:`~gardencity.notifications.outbox.Notifier`, the campaign's listener,
  writes one row per recipient and channel in the event's own transaction;
* ``delivery`` — the worker that claims due rows and sends them through ``channels`` (WeCom,
  DingTalk, Feishu, e-mail, SMS, signed webhook), with retries and back-off;
* ``scheduler`` — escalation, reminders, leaders' digests and the weekly flag announcement,
  once across every server process (a lease and unique runs in the database);
* ``runtime`` — the background threads of ``gardencity serve``;
* ``inbox``, ``residents``, ``admin`` — what the pages and the API show and change.
"""
