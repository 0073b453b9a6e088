using System;
using System.IO;
using System.Text;

namespace HttpStaticServer;

/// <summary>The folder served when none is given: an index page and files of the benchmark sizes.</summary>
public static class DemoFolder
{
    /// <summary>Creates (or refreshes) the demo folder under the temp directory and returns its path.</summary>
    public static string Create()
    {
        string root = Path.Combine(Path.GetTempPath(), "zerocopy-httpstaticserver-demo");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"),
            "<!doctype html><title>ZeroCopy.Net static files</title>\n<h1>ZeroCopy.Net HttpStaticServer</h1>\n" +
            "<ul><li><a href=\"/1k.bin\">1k.bin</a><li><a href=\"/16k.bin\">16k.bin</a><li><a href=\"/1m.bin\">1m.bin</a><li><a href=\"/hello.txt\">hello.txt</a></ul>\n",
            new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(root, "hello.txt"), "Hello from sendfile(2).\n", new UTF8Encoding(false));
        foreach ((string name, int size) in new[] { ("1k.bin", 1024), ("16k.bin", 16 * 1024), ("1m.bin", 1024 * 1024) })
        {
            string path = Path.Combine(root, name);
            if (!File.Exists(path) || new FileInfo(path).Length != size)
            {
                var bytes = new byte[size];
                new Random(size).NextBytes(bytes);
                File.WriteAllBytes(path, bytes);
            }
        }

        return root;
    }
}
