#include "wsol/backbones/state_dict_io.h"

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <unordered_map>

namespace wsol::backbones {
namespace {

// ---------------------------------------------------------------------------------------
// A decoded pickle value. Containers are shared so that memo references alias them, as in
// Python (a dict put in the memo and filled later is the same dict when fetched again).
struct Object;
using Ref = std::shared_ptr<Object>;

struct Object {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kGlobal,   // a class or function named by `text` ("module.name")
    kStorage,  // a tensor storage: `tensor` is 1-D over all of it, `dtype` its type
    kTensor,
    kOpaque,  // the result of calling a global we do not model (named by `text`)
  };
  Kind kind = Kind::kNone;
  int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<Ref> items;
  std::vector<std::pair<Ref, Ref>> entries;
  at::Tensor tensor;
  at::ScalarType dtype = at::kFloat;
};

Ref Make(Object::Kind kind) {
  auto object = std::make_shared<Object>();
  object->kind = kind;
  return object;
}

const char* KindName(Object::Kind kind) {
  switch (kind) {
    case Object::Kind::kNone:
      return "None";
    case Object::Kind::kBool:
      return "bool";
    case Object::Kind::kInt:
      return "int";
    case Object::Kind::kFloat:
      return "float";
    case Object::Kind::kString:
      return "str";
    case Object::Kind::kTuple:
      return "tuple";
    case Object::Kind::kList:
      return "list";
    case Object::Kind::kDict:
      return "dict";
    case Object::Kind::kGlobal:
      return "global";
    case Object::Kind::kStorage:
      return "storage";
    case Object::Kind::kTensor:
      return "tensor";
    case Object::Kind::kOpaque:
      return "object";
  }
  return "?";
}

// The tensor type of torch.save's storage classes (torch.FloatStorage, ...).
bool StorageDtype(const std::string& global, at::ScalarType* dtype) {
  static const auto* kTypes = new std::map<std::string, at::ScalarType>{
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble},
      {"HalfStorage", at::kHalf},   {"BFloat16Storage", at::kBFloat16},
      {"LongStorage", at::kLong},   {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},   {"BoolStorage", at::kBool}};
  const std::string name = global.substr(global.rfind('.') + 1);
  auto it = kTypes->find(name);
  if (it == kTypes->end()) return false;
  *dtype = it->second;
  return true;
}

// Decodes one pickle (protocols 2 to 4, the opcodes torch.save's state dicts use).
// `persistent_load` resolves torch's persistent ids (storages).
class Unpickler {
 public:
  using PersistentLoad = std::function<Ref(const Ref& pid)>;

  Unpickler(const char* data, size_t size, size_t start, std::string context,
            PersistentLoad persistent_load)
      : data_(data),
        size_(size),
        pos_(start),
        context_(std::move(context)),
        persistent_load_(std::move(persistent_load)) {}

  size_t position() const { return pos_; }

  Ref Load() {
    stack_.clear();
    marks_.clear();
    memo_.clear();
    while (true) {
      const size_t at = pos_;
      const uint8_t op = Byte();
      switch (op) {
        case 0x80:
          Byte();
          break;  // PROTO
        case 0x95:
          Take(8);
          break;   // FRAME
        case '.':  // STOP
          if (stack_.size() != 1)
            Fail(at, "STOP with " + std::to_string(stack_.size()) + " values");
          return stack_.back();
        case '(':
          marks_.push_back(stack_.size());
          break;  // MARK
        case 'N':
          stack_.push_back(Make(Object::Kind::kNone));
          break;
        case 0x88:
        case 0x89: {  // NEWTRUE, NEWFALSE
          Ref b = Make(Object::Kind::kBool);
          b->integer = op == 0x88;
          stack_.push_back(b);
          break;
        }
        case 'K':
          PushInt(Byte());
          break;  // BININT1
        case 'M':
          PushInt(Unsigned(2));
          break;  // BININT2
        case 'J':
          PushInt(static_cast<int32_t>(Unsigned(4)));
          break;  // BININT
        case 0x8a:
          PushLong(Byte());
          break;  // LONG1
        case 0x8b:
          PushLong(Unsigned(4));
          break;     // LONG4
        case 'G': {  // BINFLOAT: big-endian double
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | Byte();
          Ref f = Make(Object::Kind::kFloat);
          std::memcpy(&f->real, &bits, sizeof(bits));
          stack_.push_back(f);
          break;
        }
        case 'X':
        case 'T':
        case 'B':
          PushString(Unsigned(4));
          break;  // BINUNICODE, ...
        case 0x8c:
        case 'U':
        case 'C':
          PushString(Byte());
          break;  // SHORT_BINUNICODE, ...
        case 0x8d:
        case 0x8e:
          PushString(Unsigned(8));
          break;     // BINUNICODE8, BINBYTES8
        case 'c': {  // GLOBAL
          std::string module = Line();
          PushGlobal(module + "." + Line());
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Ref name = Pop(at), module = Pop(at);
          PushGlobal(module->text + "." + name->text);
          break;
        }
        case 'q':
          memo_[Byte()] = Top(at);
          break;  // BINPUT
        case 'r':
          memo_[Unsigned(4)] = Top(at);
          break;  // LONG_BINPUT
        case 0x94:
          memo_[memo_.size()] = Top(at);
          break;  // MEMOIZE
        case 'h':
        case 'j': {  // BINGET, LONG_BINGET
          const uint64_t key = op == 'h' ? Byte() : Unsigned(4);
          auto it = memo_.find(key);
          if (it == memo_.end()) Fail(at, "memo key " + std::to_string(key) + " not set");
          stack_.push_back(it->second);
          break;
        }
        case ')':
          stack_.push_back(Make(Object::Kind::kTuple));
          break;  // EMPTY_TUPLE
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
          Ref tuple = Make(Object::Kind::kTuple);
          const int n = op - 0x84;
          if (stack_.size() < static_cast<size_t>(n)) Fail(at, "stack underflow");
          tuple->items.assign(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          stack_.push_back(tuple);
          break;
        }
        case 't':
        case 'l': {  // TUPLE, LIST
          Ref sequence = Make(op == 't' ? Object::Kind::kTuple : Object::Kind::kList);
          sequence->items = PopToMark(at);
          stack_.push_back(sequence);
          break;
        }
        case ']':
          stack_.push_back(Make(Object::Kind::kList));
          break;     // EMPTY_LIST
        case 'a': {  // APPEND
          Ref value = Pop(at);
          Expect(Top(at), Object::Kind::kList, at)->items.push_back(value);
          break;
        }
        case 'e': {  // APPENDS
          std::vector<Ref> values = PopToMark(at);
          Ref list = Expect(Top(at), Object::Kind::kList, at);
          list->items.insert(list->items.end(), values.begin(), values.end());
          break;
        }
        case '}':
          stack_.push_back(Make(Object::Kind::kDict));
          break;     // EMPTY_DICT
        case 'd': {  // DICT
          Ref dict = Make(Object::Kind::kDict);
          AddEntries(dict, PopToMark(at), at);
          stack_.push_back(dict);
          break;
        }
        case 's': {  // SETITEM
          Ref value = Pop(at), key = Pop(at);
          AddEntries(Top(at), {key, value}, at);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<Ref> items = PopToMark(at);
          AddEntries(Top(at), items, at);
          break;
        }
        case 'Q':
          stack_.push_back(persistent_load_(Pop(at)));
          break;  // BINPERSID
        case 'R':
        case 0x81: {  // REDUCE, NEWOBJ
          Ref args = Expect(Pop(at), Object::Kind::kTuple, at);
          Ref callable = Pop(at);
          stack_.push_back(Call(callable, args->items, at));
          break;
        }
        case 'b':
          Pop(at);
          break;  // BUILD: object state (OrderedDict's _metadata) unused
        default: {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "0x%02x", op);
          Fail(at, std::string("unsupported pickle opcode ") + hex);
        }
      }
    }
  }

 private:
  [[noreturn]] void Fail(size_t at, const std::string& what) const {
    TORCH_CHECK(false, context_, ": ", what, " (pickle byte ", at, ")");
  }

  uint8_t Byte() { return static_cast<uint8_t>(*Take(1)); }

  const char* Take(size_t n) {
    if (n > size_ - pos_) Fail(pos_, "truncated pickle");
    const char* p = data_ + pos_;
    pos_ += n;
    return p;
  }

  uint64_t Unsigned(int bytes) {  // little-endian
    const auto* p = reinterpret_cast<const uint8_t*>(Take(bytes));
    uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
    return value;
  }

  std::string Line() {
    const char* start = data_ + pos_;
    const void* end = std::memchr(start, '\n', size_ - pos_);
    if (end == nullptr) Fail(pos_, "unterminated GLOBAL");
    const size_t n = static_cast<const char*>(end) - start;
    pos_ += n + 1;
    return std::string(start, n);
  }

  void PushInt(int64_t value) {
    Ref i = Make(Object::Kind::kInt);
    i->integer = value;
    stack_.push_back(i);
  }

  // Little-endian two's complement of n bytes; wider than 64 bits (torch's legacy magic
  // number) keeps the low 64 bits, which is all that is ever compared.
  void PushLong(uint64_t n) {
    const auto* p = reinterpret_cast<const uint8_t*>(Take(n));
    uint64_t value = 0;
    const size_t used = std::min<uint64_t>(n, 8);
    for (size_t i = used; i-- > 0;) value = (value << 8) | p[i];
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) value |= ~uint64_t{0} << (8 * n);
    PushInt(static_cast<int64_t>(value));
  }

  void PushString(uint64_t n) {
    Ref s = Make(Object::Kind::kString);
    s->text.assign(Take(n), n);
    stack_.push_back(s);
  }

  void PushGlobal(std::string name) {
    Ref g = Make(Object::Kind::kGlobal);
    g->text = std::move(name);
    stack_.push_back(g);
  }

  Ref Pop(size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      Fail(at, "stack underflow");
    }
    Ref top = stack_.back();
    stack_.pop_back();
    return top;
  }

  Ref Top(size_t at) {
    if (stack_.empty()) Fail(at, "stack underflow");
    return stack_.back();
  }

  std::vector<Ref> PopToMark(size_t at) {
    if (marks_.empty()) Fail(at, "no MARK");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Ref> items(stack_.begin() + mark, stack_.end());
    stack_.resize(mark);
    return items;
  }

  Ref Expect(const Ref& object, Object::Kind kind, size_t at) const {
    if (object->kind != kind) {
      Fail(at, std::string("expected a ") + KindName(kind) + ", got a " + KindName(object->kind));
    }
    return object;
  }

  void AddEntries(const Ref& dict, const std::vector<Ref>& items, size_t at) const {
    Expect(dict, Object::Kind::kDict, at);
    if (items.size() % 2 != 0) Fail(at, "odd number of dict items");
    for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
  }

  std::vector<int64_t> Ints(const Ref& tuple, size_t at) const {
    std::vector<int64_t> values;
    for (const Ref& item : Expect(tuple, Object::Kind::kTuple, at)->items) {
      values.push_back(Expect(item, Object::Kind::kInt, at)->integer);
    }
    return values;
  }

  // Calls the few globals a state dict needs; any other call becomes an opaque object,
  // an error only if it ends up where a tensor is read.
  Ref Call(const Ref& callable, const std::vector<Ref>& args, size_t at) {
    Expect(callable, Object::Kind::kGlobal, at);
    const std::string& name = callable->text;
    if (name == "collections.OrderedDict" && args.empty()) return Make(Object::Kind::kDict);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks, ...)
      if (args.size() < 4) Fail(at, name + " with " + std::to_string(args.size()) + " arguments");
      const Ref& storage = Expect(args[0], Object::Kind::kStorage, at);
      Ref tensor = Make(Object::Kind::kTensor);
      if (storage->tensor.defined()) {  // undefined on the first pass over a legacy file
        const std::vector<int64_t> sizes = Ints(args[2], at), strides = Ints(args[3], at);
        const int64_t offset = Expect(args[1], Object::Kind::kInt, at)->integer;
        if (sizes.size() != strides.size()) Fail(at, "tensor sizes and strides differ in rank");
        int64_t last = offset;  // the last element the view touches
        bool empty = false;
        for (size_t d = 0; d < sizes.size(); ++d) {
          empty |= sizes[d] == 0;
          last += (sizes[d] - 1) * strides[d];
        }
        if (offset < 0 || (!empty && last >= storage->tensor.numel())) {
          Fail(at, "tensor view exceeds its storage of " + std::to_string(storage->tensor.numel()) +
                       " elements");
        }
        tensor->tensor =
            storage->tensor.as_strided(sizes, strides, storage->tensor.storage_offset() + offset);
      }
      return tensor;
    }
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state" ||
        name == "torch.jit._pickle.restore_type_tag") {
      if (args.empty()) Fail(at, name + " without arguments");
      return args[0];
    }
    Ref opaque = Make(Object::Kind::kOpaque);
    opaque->text = name;
    return opaque;
  }

  const char* data_;
  size_t size_;
  size_t pos_;
  std::string context_;
  PersistentLoad persistent_load_;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
};

// torch's persistent id of a storage:
// ('storage', storage class, key, location, numel[, legacy view metadata]).
struct StorageId {
  std::string key;
  at::ScalarType dtype;
  int64_t numel;
  Ref view;  // legacy only: None or (view key, offset, size)
};

StorageId ParseStorageId(const Ref& pid, const std::string& context) {
  const auto bad = [&](const std::string& why) {
    TORCH_CHECK(false, context, ": unsupported persistent id (", why, ")");
  };
  if (pid->kind != Object::Kind::kTuple || pid->items.size() < 5) bad("not a 5-tuple");
  const std::vector<Ref>& items = pid->items;
  if (items[0]->kind != Object::Kind::kString || items[0]->text != "storage") bad("not a storage");
  StorageId id;
  if (items[1]->kind != Object::Kind::kGlobal || !StorageDtype(items[1]->text, &id.dtype)) {
    bad("storage type " + items[1]->text);
  }
  if (items[2]->kind != Object::Kind::kString || items[4]->kind != Object::Kind::kInt) {
    bad("key or size");
  }
  id.key = items[2]->text;
  id.numel = items[4]->integer;
  if (items.size() > 5) id.view = items[5];
  return id;
}

at::Tensor TensorFromBytes(const void* bytes, size_t nbytes, at::ScalarType dtype, int64_t numel,
                           const std::string& context) {
  at::Tensor tensor = at::empty({numel}, at::TensorOptions().dtype(dtype));
  TORCH_CHECK(nbytes == static_cast<size_t>(tensor.nbytes()), context, ": storage holds ", nbytes,
              " bytes, expected ", tensor.nbytes(), " (", numel, " x ", c10::toString(dtype), ")");
  if (nbytes > 0) std::memcpy(tensor.data_ptr(), bytes, nbytes);
  return tensor;
}

StateDict ToStateDict(const Ref& top, const std::string& path) {
  Ref dict = top;
  if (dict->kind == Object::Kind::kDict) {
    for (const auto& [key, value] : dict->entries) {
      if (key->kind == Object::Kind::kString && key->text == "state_dict" &&
          value->kind == Object::Kind::kDict) {
        dict = value;  // a training checkpoint {"state_dict": ..., "epoch": ...}
        break;
      }
    }
  }
  TORCH_CHECK(dict->kind == Object::Kind::kDict, path, ": expected a dict of tensors, got a ",
              KindName(dict->kind));
  StateDict state;
  for (const auto& [key, value] : dict->entries) {
    TORCH_CHECK(key->kind == Object::Kind::kString, path, ": a state dict key is a ",
                KindName(key->kind));
    TORCH_CHECK(value->kind != Object::Kind::kOpaque, path, ": \"", key->text, "\" is a ",
                value->text, ", which this reader does not support");
    if (value->kind == Object::Kind::kTensor) state.emplace_back(key->text, value->tensor);
  }
  return state;
}

// The zip format: data.pkl plus one record per storage (data/<key>).
StateDict ReadZip(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(path);
  auto [pickle, pickle_size] = reader.getRecord("data.pkl");
  std::map<std::string, Ref> storages;
  Unpickler unpickler(
      static_cast<const char*>(pickle.get()), pickle_size, 0, path, [&](const Ref& pid) {
        const StorageId id = ParseStorageId(pid, path);
        Ref& storage = storages[id.key];
        if (!storage) {
          storage = Make(Object::Kind::kStorage);
          storage->dtype = id.dtype;
          const std::string record = "data/" + id.key;
          TORCH_CHECK(reader.hasRecord(record), path, ": missing record ", record);
          auto [bytes, nbytes] = reader.getRecord(record);
          storage->tensor = TensorFromBytes(bytes.get(), nbytes, id.dtype, id.numel, path);
        }
        return storage;
      });
  return ToStateDict(unpickler.Load(), path);
}

// The legacy format: pickles of the magic number, the protocol version (1001) and system
// info, then the object (storages as persistent ids), then the list of storage keys,
// then each storage as an int64 element count and its raw bytes, in that order. The
// object comes before the storage data, so it is decoded twice: once to learn each
// storage's type, once with the data.
constexpr char kLegacyMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e";

StateDict ReadLegacy(const std::vector<char>& bytes, const std::string& path) {
  const size_t magic_size = sizeof(kLegacyMagic) - 1;
  TORCH_CHECK(
      bytes.size() >= magic_size && std::memcmp(bytes.data(), kLegacyMagic, magic_size) == 0, path,
      ": neither a zip archive nor a legacy torch.save file");
  const auto no_storage = [&](const Ref&) -> Ref {
    TORCH_CHECK(false, path, ": storage in the file header");
    return nullptr;
  };
  Unpickler header(bytes.data(), bytes.size(), magic_size, path, no_storage);
  const Ref version = header.Load();
  TORCH_CHECK(version->kind == Object::Kind::kInt && version->integer == 1001, path,
              ": unsupported legacy protocol version");
  const Ref sys_info = header.Load();
  if (sys_info->kind == Object::Kind::kDict) {
    for (const auto& [key, value] : sys_info->entries) {
      TORCH_CHECK(!(key->text == "little_endian" && value->integer == 0), path,
                  ": big-endian checkpoints are not supported");
    }
  }
  const size_t object_start = header.position();

  // First pass: storage types and sizes by key.
  std::map<std::string, StorageId> roots;
  Unpickler first(bytes.data(), bytes.size(), object_start, path, [&](const Ref& pid) {
    const StorageId id = ParseStorageId(pid, path);
    roots.emplace(id.key, id);
    Ref storage = Make(Object::Kind::kStorage);
    storage->dtype = id.dtype;
    return storage;
  });
  first.Load();
  Unpickler keys_reader(bytes.data(), bytes.size(), first.position(), path, no_storage);
  const Ref keys = keys_reader.Load();
  TORCH_CHECK(keys->kind == Object::Kind::kList, path, ": storage key list missing");

  std::map<std::string, at::Tensor> data;
  size_t pos = keys_reader.position();
  for (const Ref& key : keys->items) {
    auto it = roots.find(key->text);
    TORCH_CHECK(it != roots.end(), path, ": data for unknown storage ", key->text);
    int64_t numel = 0;
    TORCH_CHECK(bytes.size() - pos >= sizeof(numel), path, ": truncated storage ", key->text);
    std::memcpy(&numel, bytes.data() + pos, sizeof(numel));
    pos += sizeof(numel);
    const size_t nbytes = static_cast<size_t>(numel) * c10::elementSize(it->second.dtype);
    TORCH_CHECK(numel >= 0 && bytes.size() - pos >= nbytes, path, ": truncated storage ",
                key->text);
    data[key->text] = TensorFromBytes(bytes.data() + pos, nbytes, it->second.dtype, numel, path);
    pos += nbytes;
  }

  // Second pass: the object with its storages (legacy views are slices of a root).
  std::map<std::string, Ref> storages;
  Unpickler second(bytes.data(), bytes.size(), object_start, path, [&](const Ref& pid) {
    const StorageId id = ParseStorageId(pid, path);
    auto it = data.find(id.key);
    TORCH_CHECK(it != data.end(), path, ": no data for storage ", id.key);
    std::string key = id.key;
    at::Tensor tensor = it->second;
    if (id.view && id.view->kind == Object::Kind::kTuple && id.view->items.size() == 3) {
      key = id.view->items[0]->text;
      tensor = tensor.narrow(0, id.view->items[1]->integer, id.view->items[2]->integer);
    }
    Ref& storage = storages[key];
    if (!storage) {
      storage = Make(Object::Kind::kStorage);
      storage->dtype = id.dtype;
      storage->tensor = tensor;
    }
    return storage;
  });
  return ToStateDict(second.Load(), path);
}

}  // namespace

StateDict ReadStateDict(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  TORCH_CHECK(file.good(), path, ": cannot open");
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  try {
    if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0) {
      bytes.clear();
      bytes.shrink_to_fit();
      return ReadZip(path);
    }
    return ReadLegacy(bytes, path);
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (message.rfind(path, 0) == 0) throw;
    TORCH_CHECK(false, path, ": ", message);
  }
  return {};  // not reached
}

std::vector<char> StateDictBytes(const StateDict& state) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : state) {
    TORCH_CHECK(dict.insert(name, tensor.detach().cpu()).second, "duplicate name \"", name, "\"");
  }
  return torch::jit::pickle_save(dict);
}

void WriteStateDict(const StateDict& state, const std::string& path) {
  std::vector<char> bytes;
  try {
    bytes = StateDictBytes(state);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, path, ": ", e.what_without_backtrace());
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  TORCH_CHECK(file.good(), path, ": cannot write");
}

}  // namespace wsol::backbones
