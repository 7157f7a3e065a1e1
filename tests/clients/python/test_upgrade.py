"""Extension upgrades: every earlier version's install script (sql/versions) followed by ALTER
EXTENSION pg_kafka UPDATE gives exactly the objects a fresh install of the current version
gives: tables, columns, constraints, indexes, views, functions with their settings, comments,
privileges and the tables pg_dump dumps with the data.

Each side is made in a scratch database of the test cluster (the broker serves another one, so
these schemas are never used by it).
"""

import glob
import os
import re
import subprocess

import pytest

from conftest import PATIENCE
from test_cleaner import PGURL, sql

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OLD_VERSIONS = sorted(
    re.search(r"pg_kafka--(.+)\.sql$", p).group(1)
    for p in glob.glob(os.path.join(ROOT, "sql", "versions", "pg_kafka--*.sql"))
)

# Everything of the schema kafka that an install defines, one line per fact, in a stable order.
CATALOG = r"""
SELECT 'relation', c.relname, c.relkind::text, coalesce(array_to_string(c.reloptions, ','), ''),
       coalesce(c.relacl::text, ''), coalesce(obj_description(c.oid, 'pg_class'), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'kafka' AND c.relkind <> 'S'
UNION ALL
SELECT 'column', c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull::text, coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity::text
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = 'kafka' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind <> 'S'
UNION ALL
SELECT 'constraint', c.relname || '.' || k.conname, pg_get_constraintdef(k.oid), '', '', ''
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'kafka'
UNION ALL
SELECT 'index', i.indexname, i.indexdef, '', '', ''
  FROM pg_indexes i WHERE i.schemaname = 'kafka'
UNION ALL
SELECT 'view', v.viewname, v.definition, '', '', ''
  FROM pg_views v WHERE v.schemaname = 'kafka'
UNION ALL
SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       pg_get_function_result(p.oid), coalesce(array_to_string(p.proconfig, ','), ''),
       coalesce(p.proacl::text, ''),
       p.prosecdef::text || ' ' || p.provolatile::text || ' ' ||
       CASE WHEN l.lanname IN ('sql', 'plpgsql') THEN md5(p.prosrc) ELSE p.prosrc END
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname = 'kafka'
UNION ALL
SELECT 'type', t.typname, t.typtype::text, '', '', ''
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'kafka' AND t.typtype IN ('c', 'e', 'd') AND t.typrelid = 0
UNION ALL
SELECT 'dumped', c.relname, '', '', '', ''
  FROM pg_extension e, unnest(e.extconfig) AS x(oid) JOIN pg_class c ON c.oid = x.oid
 WHERE e.extname = 'pg_kafka'
UNION ALL
SELECT 'schema', nspname, coalesce(nspacl::text, ''), '', '', '' FROM pg_namespace
 WHERE nspname = 'kafka'
ORDER BY 1, 2, 3, 4, 5, 6
"""


def in_database(db, query):
    url = PGURL.rsplit("/", 1)[0] + "/" + db
    out = subprocess.run(["psql", url, "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
                         check=True, capture_output=True, text=True, timeout=PATIENCE).stdout
    return out.splitlines()


@pytest.fixture
def scratch():
    made = []

    def create(name):
        sql(f"DROP DATABASE IF EXISTS {name}")
        sql(f"CREATE DATABASE {name}")
        made.append(name)
        return name

    yield create
    for name in made:
        sql(f"DROP DATABASE IF EXISTS {name}")


def test_there_is_an_earlier_version_to_upgrade_from():
    assert OLD_VERSIONS, "no install script under sql/versions"


@pytest.mark.parametrize("old", OLD_VERSIONS)
def test_upgrading_gives_what_a_fresh_install_gives(scratch, old):
    fresh = scratch("pgkafka_upgrade_fresh")
    upgraded = scratch("pgkafka_upgrade_from_" + old.replace(".", "_"))
    in_database(fresh, "CREATE EXTENSION pg_kafka")
    in_database(upgraded, f"CREATE EXTENSION pg_kafka VERSION '{old}'")
    before = in_database(upgraded, CATALOG)
    in_database(upgraded, "ALTER EXTENSION pg_kafka UPDATE")
    versions = [in_database(db, "SELECT extversion FROM pg_extension WHERE extname = 'pg_kafka'")
                for db in (fresh, upgraded)]
    assert versions[0] == versions[1]
    want, got = in_database(fresh, CATALOG), in_database(upgraded, CATALOG)
    missing = [line for line in want if line not in got]
    extra = [line for line in got if line not in want]
    assert not missing and not extra, f"missing after upgrade: {missing}\nextra: {extra}"
    assert before != got, "the upgrade changed nothing"
