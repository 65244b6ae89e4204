#pragma once

#include <string>

#include "shared/error/error.h"
#include "shared/sqlite/database.h"

namespace dots::cloud::sqlite_store {

// Opens <data dir>/store.db. Read-write creates the file and its schema when missing and sets
// WAL mode; read-only needs a store some writer created (it never waits for the writer's
// transaction: WAL readers see the last commit).
Result<sqlite::Database> openStoreDatabase(const std::string& data_dir,
                                           sqlite::Database::Mode mode);

}  // namespace dots::cloud::sqlite_store
