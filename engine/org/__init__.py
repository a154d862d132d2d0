"""The organisation: departments, users, groups and memberships (directory, models), the office's LDAP
directory read (ldap_source) and synced in batches (directory_sync), roles mapped from directory groups
(roles), the account behind a verified single sign-on (sign_on), authorised deputies (deputies), the
notification outbox and its SMTP sender (notify), one-time codes and throttling for citizens
(verification), and the demo municipal government (demo). It may import engine.core."""
