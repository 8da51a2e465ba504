"""The two feeds from a bank-notification service into the shop's one bank inbox.

:mod:`shop.bank.providers` speaks SePay's and Casso's languages (their transaction lists and
their webhooks) and turns what they send into :class:`shop.domain.bank.BankTransaction`;
:mod:`shop.bank.poller` asks the provider for new transactions in the background (a shop
server behind a home router cannot be reached by a webhook, so it asks instead). Both hand
every transaction to :func:`shop.services.bank.receive`, the inbox's single entry.
"""
