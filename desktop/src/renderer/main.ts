// Renderer entry: finds the MessengerApi (Electron preload or the web host) and mounts the app.
import { mount } from 'svelte';
import App from './components/App.svelte';
import './styles/theme.css';

mount(App, { target: document.getElementById('app')! });
