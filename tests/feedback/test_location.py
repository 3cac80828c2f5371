"""The store is a SQLite file in a data folder unless AUTHDOCTOR_DATABASE_URL names PostgreSQL."""
from pathlib import Path

from authdoctor.feedback import default_data_dir, store_url


def test_the_data_folder_setting_wins():
    assert default_data_dir({"AUTHDOCTOR_DATA_DIR": "/srv/ad", "HOME": "/home/x"}) == Path("/srv/ad")


def test_each_platform_has_its_usual_folder():
    assert default_data_dir({"HOME": "/home/x"}, "linux") == Path("/home/x/.local/share/authdoctor")
    assert default_data_dir({"HOME": "/home/x", "XDG_DATA_HOME": "/d"}, "linux") == Path("/d/authdoctor")
    assert default_data_dir({"HOME": "/Users/x"}, "darwin") == Path("/Users/x/Library/Application Support/authdoctor")
    assert default_data_dir({"HOME": "C:/Users/x", "LOCALAPPDATA": "C:/L"}, "win32") == Path("C:/L/authdoctor")


def test_postgresql_urls_use_psycopg_3():
    assert store_url("postgresql://u:p@db:5432/ad") == "postgresql+psycopg://u:p@db:5432/ad"
    assert store_url("postgres://db/ad") == "postgresql+psycopg://db/ad"


def test_without_a_database_url_it_is_a_file_in_the_data_folder(tmp_path):
    assert store_url(None, tmp_path) == f"sqlite:///{tmp_path / 'authdoctor.db'}"
