# Sourced by the other scripts: a project virtualenv with shopworker and its dev tools installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# pip is asked again only when pyproject.toml has changed since the last install: finding nothing to do takes it
# about 25 s. (The install is editable, so code changes need none.)
if [ ! -f .venv/.installed-pyproject.toml ] || [ "$(< pyproject.toml)" != "$(< .venv/.installed-pyproject.toml)" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  printf '%s\n' "$(< pyproject.toml)" > .venv/.installed-pyproject.toml
fi
