"""The government work built on flow and clocks: 公文 documents and gapless 文号 (documents), joint
licensing (licensing), the mayor's mailbox (mailbox), the public portal's intake (portal), supervision
with 督办单 and 催办 (supervision, duban), extension requests (extensions) and what a case page shows
(case_view). A new government process goes here. It may import engine.flow and everything below."""
