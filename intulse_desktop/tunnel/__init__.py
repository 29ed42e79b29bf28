"""A tunnel this app runs, so Intulse reaches the receiver without a port forward.

``tools`` starts a tool's process and reads its address; ``cloudflared``,
``ngrok`` and ``tailscale`` know one tool each; ``supervisor`` keeps it
running (restarts with backoff); ``registration`` moves the Intulse webhooks
to each new address; ``published`` tells the command line the address;
``manager`` puts them together for the tray app, ``--headless`` and the hub.
"""
