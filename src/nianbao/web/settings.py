"""What a server is configured with. Limits are checked on the server, whatever the page allows."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(slots=True)
class WebSettings:
    db: str | None = None                      # store path or URL (None: NIANBAO_DB or ./nianbao.db)
    data_dir: str | None = None                # kept uploads (None: beside a SQLite store, or ./nianbao-files)
    max_upload_bytes: int = 50 * 1024 * 1024   # one file
    max_files: int = 50                        # one request
    check_rate: int = 30                       # POST /api/check: requests per client per minute
    secure_cookies: bool = False               # set behind HTTPS
    session_max_age: int = 8 * 3600            # seconds
    config_path: str | None = None             # nianbao TOML config (deadlines, tolerances)
    extra: dict = field(default_factory=dict)

    def resolved_data_dir(self, url: str) -> str:
        """Where uploaded files that a user stored are kept: next to a SQLite store, else ./nianbao-files."""
        if self.data_dir:
            return self.data_dir
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
            return os.path.join(os.path.dirname(os.path.abspath(path)), os.path.basename(path) + ".files")
        return os.path.abspath("nianbao-files")
