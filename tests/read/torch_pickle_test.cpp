// read/torch_pickle: torch.save's data.pkl. The fixtures are real torch
// files (tests/cli/pt/make_pt.py wrote them, with torch.load's values in
// tests/cli/pt/NAME.json); the hostile pickles are built here byte by byte,
// and each must end in a data error that says what is wrong.
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "error.h"
#include "helpers.h"
#include "read/torch_pickle.h"

using namespace losscalc;
using namespace losscalc::read;
using losscalc::testing::data_error_of;

namespace {

const std::string kFixtures = LOSSCALC_SOURCE_DIR "/tests/read/pt_fixtures/";

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

using Arrays = std::vector<std::pair<std::string, Tensor>>;

// A fixture read as the loader will: data.pkl, and storages from NAME.data.K.
Arrays fixture(const std::string& name) {
  const std::string pickle = slurp(kFixtures + name + ".pkl");
  REQUIRE(!pickle.empty());
  std::map<std::string, std::string> storages;
  const Origin o{"input", "file '" + name + ".pt'"};
  return torch_pickle_arrays(
      pickle,
      [&](const std::string& key) -> std::string_view {
        auto [it, fresh] = storages.emplace(key, "");
        if (fresh) {
          std::ifstream f(kFixtures + name + ".data." + key, std::ios::binary);
          if (!f) throw data_error(o.subject, o.label, "no data/" + key);
          std::ostringstream s;
          s << f.rdbuf();
          it->second = s.str();
        }
        return it->second;
      },
      o);
}

// The fixture's arrays against torch.load's (NAME.json), value for value.
void check_fixture(const std::string& name) {
  CAPTURE(name);
  const Arrays got = fixture(name);
  const auto want = nlohmann::json::parse(slurp(LOSSCALC_SOURCE_DIR "/tests/cli/pt/" + name + ".json"))["arrays"];
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    CAPTURE(k);
    CHECK(got[k].first == want[k]["key"].get<std::string>());
    CHECK(got[k].second.shape == want[k]["shape"].get<Shape>());
    const auto values = want[k]["values"].get<std::vector<double>>();
    REQUIRE(got[k].second.data.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(got[k].second.data[i] == values[i]);
  }
}

// ---- hand-built pickles ------------------------------------------------------
std::string le(std::uint64_t v, int n) {
  std::string s;
  for (int k = 0; k < n; ++k) s += static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}
std::string u(const std::string& s) { return "X" + le(s.size(), 4) + s; }                  // BINUNICODE
std::string g(const std::string& m, const std::string& n) { return "c" + m + "\n" + n + "\n"; }  // GLOBAL
std::string k1(int v) { return "K" + le(static_cast<std::uint64_t>(v), 1); }               // BININT1
std::string j(std::int64_t v) { return "J" + le(static_cast<std::uint64_t>(v), 4); }       // BININT
std::string long1(std::int64_t v) { return "\x8a\x08" + le(static_cast<std::uint64_t>(v), 8); }
constexpr const char* kProto = "\x80\x02";

// _rebuild_tensor_v2 of storage "0" (a FloatStorage of `numel`), with the
// offset, size and stride as pickled ints (k1, j, long1).
std::string tensor(const std::string& numel, const std::string& offset, const std::string& size, const std::string& stride,
                   const std::string& cls = "FloatStorage") {
  return g("torch._utils", "_rebuild_tensor_v2") + "((" + u("storage") + g("torch", cls) + u("0") + u("cpu") + numel + "tQ" + offset +
         "(" + size + "t(" + stride + "t\x89}tR";
}

// Four float32s, 1 2 3 4, as storage "0".
const std::string kFour = le(0x3f800000, 4) + le(0x40000000, 4) + le(0x40400000, 4) + le(0x40800000, 4);

Arrays run(const std::string& pickle, const std::string& data = kFour) {
  return torch_pickle_arrays(
      pickle,
      [&](const std::string& key) -> std::string_view {
        if (key != "0") throw data_error("input", "file 'x.pt'", "the archive has no data/" + key);
        return data;
      },
      Origin{"input", "file 'x.pt'"});
}

std::string error_of(const std::string& pickle, const std::string& data = kFour) {
  return data_error_of([&] { run(pickle, data); });
}

}  // namespace

TEST_CASE("torch_pickle: torch.save's files give torch.load's values") {
  for (const char* name : {"float32", "float64_2d", "bfloat16", "float16", "int64_labels", "bool", "uint8", "int32_int16_int8",
                           "transposed", "slice", "slice_offset", "expanded", "scalar", "state_dict", "dict", "nested", "list",
                           "parameter", "ordered", "empty", "requires_grad", "batchnorm", "shared_storage"})
    check_fixture(name);
}

TEST_CASE("torch_pickle: names, views and numbers") {
  const Arrays sd = fixture("state_dict");  // _metadata (set by BUILD) is not an array
  REQUIRE(sd.size() == 2);
  CHECK(sd[0].first == "weight");
  CHECK(sd[0].second.shape == Shape{2, 3});
  CHECK(sd[1].first == "bias");
  const Arrays nested = fixture("nested");
  REQUIRE(nested.size() == 5);
  CHECK(nested[0].first == "model.w");
  CHECK(nested[2].first == "epoch");
  CHECK(nested[2].second.shape.empty());
  CHECK(nested[2].second.data == std::vector<double>{3});
  CHECK(nested[4].second.data == std::vector<double>{1});  // True
  const Arrays t = fixture("transposed");  // arange(12).reshape(3, 4).t()
  CHECK(t[0].second.shape == Shape{4, 3});
  CHECK(t[0].second.data == std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  const Arrays s = fixture("slice_offset");  // x[1:, 2:]: offset 6, stride (4, 1)
  CHECK(s[0].second.data == std::vector<double>{6, 7, 10, 11});
  const Arrays l = fixture("list");
  REQUIRE(l.size() == 4);
  CHECK(l[2].first == "2.0");
  CHECK(l[3].first == "2.1");

  // The opcodes torch.save's fixtures do not use: BININT, BININT2, LONG1,
  // SHORT_BINUNICODE, BINUNICODE8, MEMOIZE, LONG_BINPUT / LONG_BINGET, APPEND.
  const std::string p = std::string(kProto) + "}\x94(" + "\x8c\x01" "a" + j(-5) + "\x8c\x01" "b" + "M" + le(1000, 2) + "\x8c\x01" "c" +
                        long1(-(std::int64_t{1} << 40)) + "\x8d" + le(1, 8) + "d" + "G" + "\x3f\xf8" + std::string(6, '\0') + "u" +
                        u("e") + "]r" + le(70000, 4) + k1(8) + "as" + u("f") + "j" + le(70000, 4) + "s" + u("a") + k1(9) + "s.";
  const Arrays v = run(p);
  REQUIRE(v.size() == 6);
  CHECK(v[0].first == "a");  // set again: keeps its first place, takes the new value
  CHECK(v[0].second.data == std::vector<double>{9});
  CHECK(v[1].second.data == std::vector<double>{1000});
  CHECK(v[2].second.data == std::vector<double>{-1099511627776.0});
  CHECK(v[3].first == "d");
  CHECK(v[3].second.data == std::vector<double>{1.5});
  CHECK(v[4].first == "e.0");
  CHECK(v[5].first == "f.0");  // the same list (LONG_BINGET of memo 70000)
  CHECK(v[5].second.data == std::vector<double>{8});

  // A hand-built view: size (2, 2), stride (1, 2) over 1 2 3 4; an expanded
  // one, stride 0.
  CHECK(run(std::string(kProto) + tensor(k1(4), k1(0), k1(2) + k1(2), k1(1) + k1(2)) + ".")[0].second.data ==
        std::vector<double>{1, 3, 2, 4});
  CHECK(run(std::string(kProto) + tensor(k1(4), k1(3), k1(3), k1(0)) + ".")[0].second.data == std::vector<double>{4, 4, 4});
  // A dim of size 1 never steps, whatever its stride.
  CHECK(run(std::string(kProto) + tensor(k1(4), k1(2), k1(1), long1(INT64_MAX)) + ".")[0].second.data == std::vector<double>{3});
  // 2^40 elements of stride 0: refused by the budget, not allocated.
  CHECK(error_of(std::string(kProto) + tensor(k1(4), k1(0), long1(std::int64_t{1} << 40), k1(0)) + ".").find("save them with .contiguous()") !=
        std::string::npos);
}

TEST_CASE("torch_pickle: hostile pickles end in a data error that says why") {
  const auto has = [](const std::string& message, const std::string& part) {
    CAPTURE(message);
    CAPTURE(part);
    CHECK(message.find(part) != std::string::npos);
    CHECK(message.find("file 'x.pt'") != std::string::npos);
  };
  const std::string ok = std::string(kProto) + tensor(k1(4), k1(0), k1(4), k1(1)) + ".";
  REQUIRE(run(ok)[0].second.data == std::vector<double>{1, 2, 3, 4});

  // Globals that run code.
  for (const auto& [m, n] : {std::pair{"os", "system"}, {"builtins", "eval"}, {"posix", "system"}, {"torch", "load"}}) {
    const std::string e = error_of(std::string(kProto) + g(m, n) + u("echo hi") + "\x85R.");
    has(e, "the pickle calls '" + std::string(m) + "." + n + "' at byte 2, which losscalc does not run");
  }
  has(error_of(std::string(kProto) + g("torch", "ComplexFloatStorage") + "."), "storage type 'torch.ComplexFloatStorage' (complex or quantized)");
  has(error_of(std::string(kProto) + g("torch._utils", "_rebuild_sparse_tensor") + "."), "a sparse tensor");
  has(error_of(std::string(kProto) + g("torch._utils", "_rebuild_qtensor") + "."), "a quantized tensor");

  // Opcodes.
  has(error_of(std::string(kProto) + "I1\n."), "unsupported pickle opcode 0x49 at byte 2");
  has(error_of(std::string(kProto) + "\x95" + le(0, 8)), "unsupported pickle opcode 0x95 at byte 2");  // FRAME (protocol 4)
  has(error_of(ok.substr(0, ok.size() / 2)), "truncated");
  has(error_of(std::string(kProto) + k1(1)), "without its STOP opcode");
  has(error_of(""), "empty");
  has(error_of(std::string(kProto) + "X\xff\xff\xff\x7f" "ab."), "a string of 2147483647 bytes at byte 2 runs past the pickle's end");
  has(error_of(std::string(kProto) + "\x8d" + le(~std::uint64_t{0}, 8) + "."), "runs past the pickle's end");
  has(error_of(std::string(kProto) + "h\x05."), "memo entry 5 at byte 2 was never stored");
  has(error_of(std::string(kProto) + k1(1) + ")R."), "REDUCE at byte 5 calls an int, which is not a callable");
  has(error_of(std::string(kProto) + g("torch", "FloatStorage") + ")R."), "calls 'torch.FloatStorage', which is not a callable");
  has(error_of(std::string(kProto) + "."), "stack is empty");
  has(error_of(std::string(kProto) + "t."), "there is none");
  has(error_of(std::string(kProto) + k1(1) + "." + k1(2)), "2 bytes after the STOP");
  has(error_of(std::string(kProto) + "\x8a\x09" + std::string(9, '\1') + "."), "an integer of 9 bytes");
  has(error_of(std::string(kProto) + u("a") + "."), "the saved object is a str");
  // A checkpoint's None (and text) inside a container is left out, not refused.
  CHECK(error_of(std::string(kProto) + "}" + u("k") + "Ns.") == "no error");
  has(error_of(std::string(kProto) + "}" + "N" + k1(1) + "s."), "a dict key of type None");
  has(error_of(std::string(kProto) + "}" + u("1") + k1(1) + "s" + k1(1) + k1(2) + "s."), "two arrays are named '1'");
  has(error_of(std::string(kProto) + "]" + u("a") + k1(1) + "s."), "SETITEM at byte 11 on a list");
  has(error_of(std::string(kProto) + "Q."), "stack is empty");
  has(error_of(std::string(kProto) + u("x") + "Q."), "not torch.save's ('storage', StorageClass, key, location, numel)");

  // Storages and views.
  has(error_of(std::string(kProto) + tensor(k1(100), k1(0), k1(4), k1(1)) + "."),
      "storage '0' claims 100 elements of float32 (4 bytes each), and data/0 holds 16 bytes");
  has(error_of(std::string(kProto) + tensor(long1(INT64_MAX), k1(0), k1(4), k1(1)) + "."), "claims 9223372036854775807 elements");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(0), k1(2), k1(5)) + "."), "reaches past the end of its storage '0' (4 elements)");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(4), "", "") + "."), "storage offset 4 at byte");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(1), k1(2), long1(INT64_MAX)) + "."), "reaches past the end");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(0), long1(std::int64_t{1} << 40) + long1(std::int64_t{1} << 40), k1(1) + k1(1)) + "."),
      "has more than 2^58 elements");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(0), j(-1), k1(1)) + "."), "negative sizes, strides and offsets");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(0), k1(2), j(-1)) + "."), "negative sizes, strides and offsets");
  has(error_of(std::string(kProto) + tensor(k1(4), j(-1), "", "") + "."), "negative sizes, strides and offsets");
  has(error_of(std::string(kProto) + tensor(k1(4), k1(0), k1(4), k1(1), "DoubleStorage") + "."), "claims 4 elements of float64");
  has(error_of(std::string(kProto) + g("torch._utils", "_rebuild_tensor_v2") + "((" + u("storage") + g("torch", "FloatStorage") + u("1") +
               u("cpu") + k1(1) + "tQ."),
      "the archive has no data/1");
  has(error_of(std::string(kProto) + g("torch._utils", "_rebuild_tensor_v2") + ")R."), "_rebuild_tensor_v2 at byte 36 takes");

  // Bounds: MARKs, nesting, a container that holds itself, the stack.
  has(error_of(std::string(kProto) + std::string(2000, '(')), "more than 1000 MARKs open");
  has(error_of(std::string(kProto) + k1(1) + std::string(5000, '\x85') + "."), "nested more than 1000 deep");
  has(error_of(std::string(kProto) + std::string("]q\0h\0a.", 7)), "holding themselves");
  has(error_of(std::string(kProto) + std::string(1'000'001, 'N') + "."), "more than 1000000 values on the pickle's stack");
  // 40 lists, each holding the one before twice: 2^40 values to walk.
  std::string doubling = std::string(kProto) + std::string("]q\0", 3);
  for (int k = 0; k < 40; ++k) doubling += std::string("](h\0h\0eq\0", 9);
  has(error_of(doubling + "."), "the containers hold more than 2000000 values in all");
}
