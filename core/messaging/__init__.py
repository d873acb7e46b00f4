"""Messaging: one contract for sending and receiving on every channel (email, SMS, web chat, ...).

`contract` holds the channel base class and the values channels exchange with the core.
"""
