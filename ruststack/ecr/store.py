"""
Every account's repositories in every region, in memory and, with
C{--data-dir}, in one JSON file rewritten (atomically) after each change:
repositories change only when a deploy tool runs.
"""

from __future__ import annotations

from ruststack.ecr.repositories import Repository
from ruststack.state_file import read_json, state_path, write_json

_STATE_FILE = "repositories.json"


class RepositoryStore:
    """
    Repositories by (account, region), then by name.
    """

    def __init__(self, state_dir: str | None = None) -> None:
        self._path = state_path(state_dir, _STATE_FILE)
        self._repositories: dict[tuple[str, str], dict[str, Repository]] = {}
        state = read_json(self._path)
        for repository_state in state["repositories"] if state is not None else []:
            repository = Repository.from_state(repository_state)
            self._repositories.setdefault((repository.account, repository.region), {})[repository.name] = repository

    def repositories(self, account: str, region: str) -> dict[str, Repository]:
        """
        The repositories of C{account} in C{region} by name (a copy: change
        them through L{put} and L{remove}).
        """
        return dict(self._repositories.get((account, region), {}))

    def find(self, account: str, region: str, name: str) -> Repository | None:
        return self._repositories.get((account, region), {}).get(name)

    def put(self, repository: Repository) -> None:
        """
        Keep C{repository} (new or changed) and write the state file.
        """
        self._repositories.setdefault((repository.account, repository.region), {})[repository.name] = repository
        self.save()

    def remove(self, repository: Repository) -> None:
        shard = self._repositories.get((repository.account, repository.region), {})
        if shard.pop(repository.name, None) is not None:
            if not shard:
                del self._repositories[(repository.account, repository.region)]
            self.save()

    def save(self) -> None:
        repositories = [repository.to_state() for shard in self._repositories.values() for repository in shard.values()]
        write_json(self._path, {"repositories": repositories})

    def reset(self) -> None:
        self._repositories.clear()
        self.save()
