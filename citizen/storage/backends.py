"""The two places citizen keeps files: a folder on the local disk, or a bucket of an S3-compatible object store.

Both answer the same small interface (`Storage`); callers name a file by a *key* ("campaigns/3/ab12....jpg"), never
by a path, and get its bytes, a stream, or a URL. A key is relative, "/"-separated, with no empty, "." or ".."
part, no backslash and no NUL (`valid_key`): one file has one key, so "campaigns//1/x.jpg" or
"campaigns/x/../1/x.jpg" are refused rather than reaching the same file by another name.

A put replaces the whole file at once: a reader sees the old content or the new one, never half of either (a
local file is written beside its place and renamed; an S3 PUT is atomic).
"""
import os
import re
import shutil
from stat import S_ISREG
import tempfile
import threading
from collections import namedtuple
from datetime import datetime, timezone

# What `stat` tells of a stored file: its size in bytes, when it was last written (UTC), and a tag that changes
# whenever its content may have (the local file's mtime, size and inode; the object's ETag).
Stat = namedtuple("Stat", "size modified tag")

_BAD_PART = {"", ".", ".."}
_CHUNK = 1024 * 1024


def valid_key(key):
    """Whether `key` is one a store accepts (see the module's note)."""
    if not isinstance(key, str) or not key or len(key) > 1024 or "\\" in key or "\x00" in key:
        return False
    return not any(part in _BAD_PART for part in key.split("/"))


def _checked(key):
    if not valid_key(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage:
    """The interface of a store. Missing files: `get`/`open`/`stat` answer None, `delete` does nothing.

    - put(key, data, content_type=None): store bytes under key (replacing a file there).
    - put_file(key, path, content_type=None): store the local file at `path` (a file a library wrote, e.g. GDAL).
    - get(key) -> bytes | None; open(key) -> a readable binary file object | None (close it, or use `with`).
    - read_head(key, n) -> the first n bytes | None (one ranged read on S3).
    - exists(key) -> bool; stat(key) -> Stat | None; delete(key).
    - list(prefix) -> [(key, Stat)] of the files whose key starts with `prefix`, in key order.
    - url_for(key, expires, content_type=None, download_name=None) -> a URL a browser may fetch the file from for
      `expires` seconds (S3: a presigned GET), or None when the store has no such URL (the local folder: the app
      serves the file itself).
    - local_path(key) -> the file's path on this machine for send_file, or None (S3).
    `ident` names the place (a folder, s3://bucket/prefix/): two stores with the same ident hold the same files.
    """
    local = False
    ident = ""

    def put(self, key, data, content_type=None):
        raise NotImplementedError

    def put_file(self, key, path, content_type=None):
        with open(path, "rb") as fh:
            self.put(key, fh.read(), content_type)

    def get(self, key):
        fh = self.open(key)
        if fh is None:
            return None
        with fh:
            return fh.read()

    def open(self, key):
        raise NotImplementedError

    def read_head(self, key, n):
        fh = self.open(key)
        if fh is None:
            return None
        with fh:
            return fh.read(n)

    def exists(self, key):
        return self.stat(key) is not None

    def stat(self, key):
        raise NotImplementedError

    def delete(self, key):
        raise NotImplementedError

    def list(self, prefix=""):
        raise NotImplementedError

    def url_for(self, key, expires, content_type=None, download_name=None):
        return None

    def local_path(self, key):
        return None


class LocalStorage(Storage):
    """Files under one folder of the local disk (today's behaviour: instance/media, instance/exports, ...)."""
    local = True

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.ident = self.root

    def _path(self, key):
        return os.path.join(self.root, *_checked(key).split("/"))

    def put(self, key, data, content_type=None):
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            _unlink(tmp)
            raise

    def put_file(self, key, path, content_type=None):
        target = self._path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".put-")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            _unlink(tmp)
            raise

    def open(self, key):
        try:
            return open(self._path(key), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def stat(self, key):
        try:
            st = os.stat(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not S_ISREG(st.st_mode):
            return None
        return Stat(st.st_size, datetime.fromtimestamp(st.st_mtime, timezone.utc),
                    f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}")

    def delete(self, key):
        _unlink(self._path(key))

    def list(self, prefix=""):
        # The folder holding the prefix's last complete part, walked below (".put-" files are writes under way).
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        top = os.path.join(self.root, *base.split("/")) if base else self.root
        out = []
        for folder, _dirs, names in os.walk(top):
            for name in names:
                if name.startswith(".put-"):
                    continue
                key = os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/")
                if key.startswith(prefix) and valid_key(key):
                    st = self.stat(key)
                    if st is not None:
                        out.append((key, st))
        return sorted(out)

    def local_path(self, key):
        path = self._path(key)
        return path if os.path.isfile(path) else None


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


_clients = {}
_clients_lock = threading.Lock()


def _client(endpoint, region, access_key, secret_key):
    """One boto3 client per configuration and process (boto3 clients are thread-safe; making one costs ms)."""
    ident = (endpoint, region, access_key, secret_key)
    with _clients_lock:
        client = _clients.get(ident)
        if client is None:
            import boto3
            from botocore.config import Config
            # Path-style addressing (http://host/bucket/key): what MinIO, Garage and SeaweedFS answer without
            # wildcard DNS. Retries cover a store restarting under us.
            config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                            retries={"max_attempts": 5, "mode": "standard"},
                            connect_timeout=5, read_timeout=30, max_pool_connections=32)
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint or None, region_name=region or None,
                aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None, config=config)
            _clients[ident] = client
        return client


def _missing(exc):
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket")


class S3Storage(Storage):
    """Objects in a bucket of an S3-compatible store (MinIO, Garage, SeaweedFS, AWS), under a key prefix."""

    def __init__(self, bucket, prefix="", endpoint=None, region=None, access_key=None, secret_key=None,
                 public_endpoint=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.ident = f"{endpoint or ''} s3://{bucket}/{self.prefix}"
        self.client = _client(endpoint, region, access_key, secret_key)
        # Presigned URLs are signed for the host the browser will ask (a proxy's name for the store, say).
        self.signer = _client(public_endpoint, region, access_key, secret_key) if public_endpoint else self.client

    def _key(self, key):
        return self.prefix + _checked(key)

    def put(self, key, data, content_type=None):
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=bytes(data), **extra)

    def put_file(self, key, path, content_type=None):
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        self.client.upload_file(path, self.bucket, self._key(key), **extra)  # multipart for large files

    def open(self, key):
        from botocore.exceptions import ClientError
        try:
            return _Body(self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"])
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def read_head(self, key, n):
        from botocore.exceptions import ClientError
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key), Range=f"bytes=0-{max(n, 1) - 1}")
        except ClientError as exc:
            if _missing(exc) or exc.response.get("Error", {}).get("Code") == "InvalidRange":  # an empty object
                return None if _missing(exc) else b""
            raise
        with body["Body"] as fh:
            return fh.read()[:n]

    def stat(self, key):
        from botocore.exceptions import ClientError
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return Stat(head["ContentLength"], head["LastModified"], head.get("ETag", ""))

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix=""):
        out = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if valid_key(key):
                    out.append((key, Stat(item["Size"], item["LastModified"], item.get("ETag", ""))))
        return sorted(out)

    def url_for(self, key, expires, content_type=None, download_name=None):
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        if download_name:
            safe = re.sub(r'[^A-Za-z0-9._-]', "_", download_name)
            params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
        return self.signer.generate_presigned_url("get_object", Params=params, ExpiresIn=int(expires))


class _Body:
    """An S3 object's streaming body as a file object werkzeug's send_file can stream (read, close, with)."""

    def __init__(self, body):
        self._body = body

    def read(self, n=-1):
        return self._body.read(None if n is None or n < 0 else n)

    def __iter__(self):
        return self._body.iter_chunks(_CHUNK)

    def close(self):
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
