"""``python -m codereason`` runs the CLI."""

from codereason.cli import main

if __name__ == "__main__":
    main()
