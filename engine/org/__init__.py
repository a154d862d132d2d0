"""The organisation: departments, users, groups and memberships (directory, models), authorised
deputies (deputies), the notification outbox and its SMTP sender (notify), one-time codes and throttling
for citizens (verification), and the demo municipal government (demo). It may import engine.core."""
