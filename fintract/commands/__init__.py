"""The ``fintract`` CLI's command groups, one module each. :data:`COMMANDS` is what
``fintract.cli`` mounts: adding a command is one line there."""
